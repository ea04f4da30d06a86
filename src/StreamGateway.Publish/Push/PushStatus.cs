namespace StreamGateway.Publish.Push;

/// <summary>Where a push session is in its life.</summary>
public enum PushState
{
    /// <summary>Created, not started.</summary>
    Idle,

    /// <summary>The camera's hub has no tracks yet (camera offline since start): nothing to announce.</summary>
    Waiting,

    /// <summary>Connecting, announcing, setting up.</summary>
    Connecting,

    /// <summary>RECORD accepted; media flows.</summary>
    Recording,

    /// <summary>Waiting out the back-off before the next attempt (see <see cref="PushStatus.NextAttemptAt"/>).</summary>
    Backoff,

    /// <summary>Disposed, or the hub was removed.</summary>
    Stopped,
}

/// <summary>A snapshot of one push session for status and metrics. Holds no secrets.</summary>
/// <param name="Url">The target URL without user info.</param>
/// <param name="State">Current state.</param>
/// <param name="BytesSent">Interleaved media bytes written (headers included), all connections.</param>
/// <param name="PacketsSent">RTP/RTCP packets written, all connections.</param>
/// <param name="PacketsDropped">Packets the hub dropped for this push (slow link) or that could not be framed.</param>
/// <param name="Connections">RECORD sessions started so far (1 + reconnects).</param>
/// <param name="FailedAttempts">Attempts that failed before RECORD (refused, timed out, bad answer, auth).</param>
/// <param name="LastError">The last failure as logged, secret-free; null after a successful RECORD.</param>
/// <param name="AuthFailed">The last attempt failed because the server refused the credentials.</param>
/// <param name="NextAttemptAt">When the next attempt is due, in <see cref="PushState.Backoff"/>.</param>
/// <param name="RecordingSince">When the current RECORD session started, in <see cref="PushState.Recording"/>.</param>
public sealed record PushStatus(
    string Url,
    PushState State,
    long BytesSent,
    long PacketsSent,
    long PacketsDropped,
    int Connections,
    int FailedAttempts,
    string? LastError,
    bool AuthFailed,
    DateTimeOffset? NextAttemptAt,
    DateTimeOffset? RecordingSince);

/// <summary>One RECORD connection that ended, for the audit log.</summary>
/// <param name="CameraPath">The hub's path (<c>school/camera</c>).</param>
/// <param name="Url">The target URL without user info.</param>
/// <param name="Username">The user the gateway authenticated as, if any (never the password).</param>
/// <param name="Started">When RECORD was accepted.</param>
/// <param name="Ended">When the connection ended.</param>
/// <param name="BytesSent">Interleaved bytes written on this connection.</param>
/// <param name="PacketsSent">Packets written on this connection.</param>
/// <param name="Reason">How it ended: "stopped", "server closed the connection", "media changed", "send failed: ...".</param>
public sealed record PushSessionRecord(
    string CameraPath,
    string Url,
    string? Username,
    DateTimeOffset Started,
    DateTimeOffset Ended,
    long BytesSent,
    long PacketsSent,
    string Reason);
