using StreamGateway.Relay;

namespace StreamGateway.Configuration;

/// <summary>
/// <c>Gateway:Relay</c>: what the relay keeps per camera. Key names are final. Applied at start; a reload
/// that changes them says they take effect at the next restart (every hub would have to be rebuilt).
/// </summary>
internal sealed record RelaySettings
{
    public static readonly RelaySettings Default = new();

    public const int MaxGopCacheMegabytes = 256;

    /// <summary>
    /// Keep each camera's packets since its latest keyframe, so a new viewer's picture starts at once.
    /// Optional, default true. Off, a viewer waits for the camera's next keyframe (up to one GOP) and
    /// the gateway holds no video per camera: up to about 0.5 MB less per 2 Mbit/s camera with a 2 s GOP.
    /// </summary>
    public bool GopCache { get; init; } = true;

    /// <summary>Bytes one camera's GOP cache may hold, in MiB; a larger GOP is not cached. Optional, default 16, 1..256.</summary>
    public int GopCacheMaxMegabytes { get; init; } = 16;

    /// <summary>The config keys under <c>Gateway:Relay</c>.</summary>
    public static readonly string[] Keys = ["GopCache", "GopCacheMaxMegabytes"];

    public RelayOptions ToRelayOptions() => new()
    {
        GopCacheEnabled = GopCache,
        GopCacheMaxBytes = GopCacheMaxMegabytes * 1024L * 1024L,
    };
}
