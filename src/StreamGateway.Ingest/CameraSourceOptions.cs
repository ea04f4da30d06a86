namespace StreamGateway.Ingest;

/// <summary>How the client carries RTP from the camera.</summary>
public enum IngestTransport
{
    /// <summary>UDP first; TCP when no packet arrives within <see cref="CameraSourceOptions.UdpFallbackTimeout"/>.</summary>
    Auto,
    Tcp,
    Udp,
}

/// <summary>
/// Everything a connector needs to pull one camera. Built by the host from validated config.
/// The password is kept out of <see cref="ToString"/> so the record can be logged.
/// </summary>
public sealed record CameraSourceOptions
{
    /// <summary>Required. The relay path, <c>school/camera</c>.</summary>
    public required string Path { get; init; }

    /// <summary>Required. The camera URL without user info (credentials live in the fields below).</summary>
    public required Uri Source { get; init; }

    /// <summary>Optional. User name for Basic/Digest.</summary>
    public string? Username { get; init; }

    /// <summary>Optional. Password for Basic/Digest; never logged.</summary>
    public string? Password { get; init; }

    public IngestTransport Transport { get; init; } = IngestTransport.Auto;

    /// <summary>Pull only while someone watches (DESCRIBE demand or a subscription).</summary>
    public bool OnDemand { get; init; }

    /// <summary>How long an on-demand camera stays connected after its last viewer left.</summary>
    public TimeSpan OnDemandLinger { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Time allowed for the TCP connect and for each RTSP request.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>With <see cref="IngestTransport.Auto"/>: how long to wait for the first UDP packet before switching to TCP.</summary>
    public TimeSpan UdpFallbackTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Retry schedule, attempt timeout and stall watchdog.</summary>
    public ReconnectPolicy Reconnect { get; init; } = new();

    public bool HasCredentials => !string.IsNullOrEmpty(Username);

    public override string ToString() =>
        $"{Path} <- {Source} (transport {Transport}{(HasCredentials ? $", user {Username}" : "")}{(OnDemand ? ", on demand" : "")})";
}
