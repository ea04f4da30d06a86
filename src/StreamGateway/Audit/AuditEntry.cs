namespace StreamGateway.Audit;

/// <summary>
/// One viewing or pushing session as the audit trail keeps it: who (user, destination, client address),
/// what (school, camera), when (UTC start and end), how much (bytes sent) and how it ended. Holds no secret.
/// </summary>
internal sealed record AuditEntry
{
    public const string ViewKind = "view";
    public const string PushKind = "push";

    /// <summary>"view" (a pull viewer of the RTSP server) or "push" (the gateway publishing to a center).</summary>
    public required string Kind { get; init; }

    /// <summary>The authenticated user; null for an anonymous loopback viewer and for pushes.</summary>
    public string? User { get; init; }

    /// <summary>The destination id of the user (view) or the push target (push); null for anonymous viewers.</summary>
    public string? Destination { get; init; }

    /// <summary>The viewer's address and port (view) or the center's server (push), without credentials.</summary>
    public string? Client { get; init; }

    public required string School { get; init; }

    public required string Camera { get; init; }

    public required DateTimeOffset Start { get; init; }

    public required DateTimeOffset End { get; init; }

    /// <summary>Media bytes sent (RTP and RTCP, with interleaved framing on TCP).</summary>
    public long Bytes { get; init; }

    /// <summary>
    /// How it ended: "teardown", "client closed", "timeout", "server stopping", "access revoked", or the stream's
    /// own reason when the camera went away or changed media (e.g. "camera removed", "media changed").
    /// </summary>
    public required string Ended { get; init; }
}
