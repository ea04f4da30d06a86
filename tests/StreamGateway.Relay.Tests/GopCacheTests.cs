namespace StreamGateway.Relay.Tests;

public sealed class GopCacheTests : RelayTestBase
{
    private const int V = 0; // H.264 track
    private const int A = 1; // PCMA track

    public static TheoryData<string, Pkt[], int[]> CacheCases => new()
    {
        {
            "nothing before the first keyframe",
            [new Pkt(0, V, 100), new Pkt(1, A, 10), new Pkt(2, V, 200)],
            []
        },
        {
            "SPS, PPS and IDR of one timestamp all included, then P-frames and audio",
            [new Pkt(0, V, 100), new Pkt(1, A, 10), new Pkt(2, V, 200, Kf: true), new Pkt(3, V, 200, Kf: true),
             new Pkt(4, V, 200, Kf: true), new Pkt(5, A, 20), new Pkt(6, V, 300)],
            [2, 3, 4, 5, 6]
        },
        {
            "the next keyframe resets the cache at its first packet",
            [new Pkt(0, V, 200, Kf: true), new Pkt(1, V, 300), new Pkt(2, A, 10), new Pkt(3, V, 400, Kf: true),
             new Pkt(4, V, 400, Kf: true), new Pkt(5, V, 500)],
            [3, 4, 5]
        },
        {
            "RTCP is relayed live but never cached",
            [new Pkt(0, V, 200, Kf: true), new Pkt(1, V, 0, Rtcp: true), new Pkt(2, A, 0, Rtcp: true), new Pkt(3, V, 300)],
            [0, 3]
        },
        {
            "a second IDR slice of the same access unit does not reset the cache",
            [new Pkt(0, V, 200, Kf: true), new Pkt(1, V, 200), new Pkt(2, V, 200, Kf: true), new Pkt(3, V, 200), new Pkt(4, V, 300)],
            [0, 1, 2, 3, 4]
        },
        {
            "a keyframe repeating an old timestamp after other frames starts a new access unit",
            [new Pkt(0, V, 200, Kf: true), new Pkt(1, V, 300), new Pkt(2, V, 200, Kf: true), new Pkt(3, V, 300)],
            [2, 3]
        },
        {
            "keyframe flags on the audio track are ignored",
            [new Pkt(0, V, 200, Kf: true), new Pkt(1, A, 10, Kf: true), new Pkt(2, A, 20, Kf: true)],
            [0, 1, 2]
        },
        {
            "packets of an unknown track index are cached but never reset the cache",
            [new Pkt(0, V, 200, Kf: true), new Pkt(1, 7, 10, Kf: true), new Pkt(2, V, 300)],
            [0, 1, 2]
        },
    };

    [Fact]
    public void A_subscriber_joining_before_any_keyframe_starts_at_the_first_keyframe()
    {
        StreamHub hub = CreateHub(null, H264(V), Pcma(A));
        Publish(hub, [new Pkt(0, V, 100), new Pkt(1, A, 10)]);
        var subscription = Subscribe(hub);

        Publish(hub, [new Pkt(2, V, 150), new Pkt(3, A, 20), new Pkt(4, V, 200, Kf: true), new Pkt(5, A, 30), new Pkt(6, V, 300)]);

        Assert.Equal([4, 5, 6], Drain(subscription));

        // Waiting for a decodable start loses nothing of the viewer's: not a slow-viewer drop.
        Assert.Equal(0, subscription.DroppedPackets);
        Assert.Equal(0, hub.GetStats().DroppedPackets);
    }

    [Theory]
    [MemberData(nameof(CacheCases))]
    public void NewSubscriber_FirstReceivesThePacketsSinceTheLatestKeyframe(string scenario, Pkt[] before, int[] expected)
    {
        StreamHub hub = CreateHub(null, H264(V), Pcma(A));
        Publish(hub, before);

        Subscription newcomer = Subscribe(hub, scenario);

        Assert.Equal(expected, Drain(newcomer));
        Assert.Equal(expected.Length, hub.GetStats().GopCachePackets);
    }

    [Fact]
    public void OnlyTheFirstVideoTrackWithKeyframes_ResetsTheCache()
    {
        StreamHub hub = CreateHub(null, Jpeg(0), H265(1), H264(2));
        Publish(hub, [
            new Pkt(0, 0, 100, Kf: true),
            new Pkt(1, 1, 100, Kf: true),
            new Pkt(2, 2, 100, Kf: true),
            new Pkt(3, 1, 200),
            new Pkt(4, 2, 300, Kf: true),
            new Pkt(5, 0, 300, Kf: true),
        ]);

        Assert.Equal([1, 2, 3, 4, 5], Drain(Subscribe(hub)));
    }

    [Fact]
    public void NewSubscriber_ReceivesTheCacheThenLivePackets_WithoutGapOrDuplicate()
    {
        StreamHub hub = CreateHub(null, H264(V), Pcma(A));
        Publish(hub, [new Pkt(0, V, 100), new Pkt(1, V, 200, Kf: true), new Pkt(2, A, 10)]);
        Subscription newcomer = Subscribe(hub);
        Publish(hub, [new Pkt(3, V, 300), new Pkt(4, A, 20)]);

        Assert.Equal([1, 2, 3, 4], Drain(newcomer));
    }

    [Theory]
    [InlineData(3, 1_000_000)] // overflow by packet count
    [InlineData(1_000, 350)]   // overflow by bytes (100-byte packets)
    public void CacheOverflow_DropsTheCacheUntilTheNextKeyframe(int maxPackets, long maxBytes)
    {
        StreamHub hub = CreateHub(new RelayOptions { GopCacheMaxPackets = maxPackets, GopCacheMaxBytes = maxBytes }, H264(V), Pcma(A));
        Publish(hub, [new Pkt(0, V, 100, Kf: true), new Pkt(1, V, 200), new Pkt(2, A, 10), new Pkt(3, V, 300), new Pkt(4, V, 400)]);

        Assert.Equal((0, 0L), (hub.GetStats().GopCachePackets, hub.GetStats().GopCacheBytes));
        Assert.Empty(Drain(Subscribe(hub, "during overflow")));
        Assert.Equal(0, Pool.Outstanding);

        Publish(hub, [new Pkt(5, V, 500, Kf: true), new Pkt(6, A, 20)]);

        Assert.Equal([5, 6], Drain(Subscribe(hub, "after the next keyframe")));
    }

    [Fact]
    public void With_the_cache_off_the_hub_holds_no_packet_and_a_newcomer_starts_at_the_next_keyframe()
    {
        StreamHub hub = CreateHub(new RelayOptions { GopCacheEnabled = false }, H264(V), Pcma(A));
        var early = Subscribe(hub, "before any keyframe");
        Publish(hub, [new Pkt(0, V, 100, Kf: true), new Pkt(1, A, 10), new Pkt(2, V, 200)]);

        // Live viewers still get everything; the hub itself keeps nothing once they have read it.
        Assert.Equal([0, 1, 2], Drain(early));
        Assert.Equal((0, 0L), (hub.GetStats().GopCachePackets, hub.GetStats().GopCacheBytes));
        Assert.Equal(0, Pool.Outstanding);

        var newcomer = Subscribe(hub, "mid-GOP");
        Publish(hub, [new Pkt(3, V, 300), new Pkt(4, A, 20), new Pkt(5, V, 400, Kf: true), new Pkt(6, V, 500)]);

        Assert.Equal([5, 6], Drain(newcomer));
        Assert.Equal(0, newcomer.DroppedPackets);
        Assert.Equal(2, hub.GetStats().Keyframes); // keyframes are still tracked, for newcomers and stats
    }

    [Fact]
    public void StreamWithoutKeyframeVideo_HasNoCache()
    {
        StreamHub hub = CreateHub(null, Jpeg(0), Pcma(1));
        Publish(hub, [new Pkt(0, 0, 100, Kf: true), new Pkt(1, 1, 10)]);

        Assert.Equal(0, hub.GetStats().GopCachePackets);
        Assert.Empty(Drain(Subscribe(hub)));
        Assert.Equal(0, Pool.Outstanding);
    }

    [Fact]
    public void HubWithoutTracks_CachesNothing()
    {
        StreamHub hub = CreateHub();
        Subscription early = Subscribe(hub);
        Publish(hub, [new Pkt(0, 0, 100, Kf: true), new Pkt(1, 0, 200)]);

        Assert.Equal(0, hub.GetStats().GopCachePackets);
        Assert.Equal([0, 1], Drain(early));
    }

    [Fact]
    public void CacheLargerThanTheQueue_IsDeliveredWhole_AndTheQueueStillHoldsItsCapacityOfLivePackets()
    {
        StreamHub hub = CreateHub(new RelayOptions { SubscriberQueueCapacity = 2 }, H264(V));
        Publish(hub, Enumerable.Range(0, 5).Select(i => new Pkt(i, V, (uint)(100 * (i + 1)), Kf: i == 0)));
        Subscription newcomer = Subscribe(hub);

        Publish(hub, [new Pkt(5, V, 600), new Pkt(6, V, 700), new Pkt(7, V, 800)]);

        Assert.Equal([0, 1, 2, 3, 4, 5, 6], Drain(newcomer));
        Assert.Equal(1, newcomer.DroppedPackets);
    }

    [Fact]
    public void ClearTracks_ClearsTheCache_KeepsTracksAndSubscriptions()
    {
        StreamHub hub = CreateHub(null, H264(V), Pcma(A));
        Subscription viewer = Subscribe(hub);
        Publish(hub, [new Pkt(0, V, 100, Kf: true), new Pkt(1, V, 100, Kf: true)]);
        IReadOnlyList<Protocols.Sdp.TrackDescription>? tracks = hub.Tracks;

        hub.ClearTracks();

        Assert.Same(tracks, hub.Tracks);
        Assert.Equal(0, hub.GetStats().GopCachePackets);
        Assert.False(viewer.IsClosed);
        Assert.Empty(Drain(Subscribe(hub, "after camera loss")));

        // After the reconnect the same timestamp can come back: it still starts a new GOP.
        Publish(hub, [new Pkt(2, V, 100, Kf: true), new Pkt(3, V, 200)]);
        Assert.Equal([0, 1, 2, 3], Drain(viewer));
        Assert.Equal([2, 3], Drain(Subscribe(hub, "after reconnect")));
    }
}
