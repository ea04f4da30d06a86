namespace StreamGateway.Configuration;

/// <summary>
/// How a camera reconnects, from <c>Gateway:Reconnect</c>, overridden key by key under a school and
/// under a camera (<c>…:Reconnect</c>). Values are seconds in the file. The defaults suit CCTV: retry
/// about every second for the first minute of an outage (a camera that returns streams again within
/// two seconds), then back off exponentially with jitter up to a minute, and never give up.
/// </summary>
internal sealed record ReconnectSettings
{
    public static readonly ReconnectSettings Default = new();

    /// <summary>Delay between attempts early in an outage. Optional, default 1 s.</summary>
    public TimeSpan FastRetryInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long an outage keeps the fast interval before backing off. Optional, default 60 s.</summary>
    public TimeSpan FastRetryWindow { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Cap of the exponential back-off. Optional, default 60 s.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Time allowed for one attempt: connect, DESCRIBE, SETUP, PLAY and the first video packet. Optional, default 10 s.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>No RTP for this long on a playing session is a failure. Optional, default 5 s.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The config keys, in the order the reference lists them.</summary>
    public static readonly string[] Keys = ["FastRetryInterval", "FastRetryWindow", "MaxDelay", "AttemptTimeout", "StallTimeout"];
}
