namespace StreamGateway.Relay;

/// <summary>Limits of one <see cref="StreamHub"/>. Validated by the hub's constructor.</summary>
public sealed record RelayOptions
{
    /// <summary>Optional. Packets a subscriber may have queued before it drops (at least 1). Default 2048.</summary>
    public int SubscriberQueueCapacity { get; init; } = 2048;

    /// <summary>
    /// Optional. Keep the packets since the latest keyframe for newcomers (default true). Off, a newcomer
    /// starts at the next keyframe and the hub holds no packets of its own.
    /// </summary>
    public bool GopCacheEnabled { get; init; } = true;

    /// <summary>Optional. Packets the GOP cache may hold; beyond that it is dropped until the next keyframe (at least 1). Default 8192.</summary>
    public int GopCacheMaxPackets { get; init; } = 8192;

    /// <summary>Optional. Bytes the GOP cache may hold; beyond that it is dropped until the next keyframe (at least 1). Default 16 MiB.</summary>
    public long GopCacheMaxBytes { get; init; } = 16 * 1024 * 1024;
}

/// <summary>Counters of one <see cref="StreamHub"/> at one moment.</summary>
/// <param name="PacketsPublished">Packets given to <see cref="StreamHub.Publish"/> (RTP and RTCP).</param>
/// <param name="BytesPublished">Sum of their lengths.</param>
/// <param name="Keyframes">Keyframe access units seen on video tracks with keyframes.</param>
/// <param name="GopCachePackets">Packets in the GOP cache now.</param>
/// <param name="GopCacheBytes">Bytes in the GOP cache now.</param>
/// <param name="Subscribers">Open subscriptions now.</param>
/// <param name="DroppedPackets">Packets dropped for slow subscribers since the hub was created.</param>
public sealed record RelayStats(
    long PacketsPublished,
    long BytesPublished,
    long Keyframes,
    int GopCachePackets,
    long GopCacheBytes,
    int Subscribers,
    long DroppedPackets);

/// <summary>The values of <see cref="Subscription.CloseReason"/>.</summary>
public static class SubscriptionCloseReasons
{
    /// <summary>The camera came back with different tracks; players must DESCRIBE again.</summary>
    public const string MediaChanged = "media changed";

    /// <summary>The hub was disposed (camera removed from the configuration).</summary>
    public const string StreamRemoved = "stream removed";

    /// <summary>The subscriber disposed its subscription.</summary>
    public const string Unsubscribed = "unsubscribed";
}
