namespace StreamGateway.Publish.Push;

/// <summary>The figures of one push session; the host builds them from validated config. Defaults suit a WAN link.</summary>
public sealed record PushOptions
{
    /// <summary>Optional. How long one RTSP request may wait for its answer.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Optional. One attempt (connect, OPTIONS, ANNOUNCE, SETUP per track, RECORD) must finish within this.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Optional. First back-off delay; doubles (with jitter) per failed attempt up to <see cref="MaxDelay"/>.</summary>
    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Optional. Cap of the back-off delay.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Optional. Keep-alive period when the server names no session timeout; otherwise half its timeout is used (at most this).</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Optional. A media write that does not complete within this ends the connection (a half-open link fills the socket and never fails on its own).</summary>
    public TimeSpan SendStallTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Optional. Name of this client in the subscription (status) and the SDP's session name.</summary>
    public string SessionName { get; init; } = "StreamGateway";
}
