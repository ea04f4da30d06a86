using StreamGateway.Protocols.Sdp;

namespace StreamGateway.Relay.Tests;

public sealed class StreamHubLifecycleTests : RelayTestBase
{
    [Fact]
    public void SetTracks_WithEqualTracks_KeepsSubscribersAndCache_AndRaisesNothing()
    {
        StreamHub hub = CreateHub(null, H264(0), Pcma(1));
        Subscription viewer = Subscribe(hub);
        Publish(hub, [new Pkt(0, 0, 100, Kf: true), new Pkt(1, 1, 10)]);
        int tracksChanged = 0;
        hub.TracksChanged += _ => tracksChanged++;

        hub.SetTracks([H264(0), Pcma(1)]); // new, equal instances: the camera came back unchanged

        Assert.Equal(0, tracksChanged);
        Assert.False(viewer.IsClosed);
        Assert.Equal(1, hub.SubscriberCount);
        Assert.Equal(2, hub.GetStats().GopCachePackets);
        Publish(hub, new Pkt(2, 0, 200));
        Assert.Equal([0, 1, 2], Drain(viewer));
    }

    public static TheoryData<string, TrackDescription[]> ChangedMedia => new()
    {
        { "a track added", [H264(0), Pcma(1), Pcma(2)] },
        { "a track removed", [H264(0)] },
        { "another codec", [H265(0), Pcma(1)] },
        { "new sprop-parameter-sets", [H264(0) with { Fmtp = "packetization-mode=1;sprop-parameter-sets=Z0IAKeKQFAe2AtwEBAaQeJEV,aM48gA==" }, Pcma(1)] },
    };

    [Theory]
    [MemberData(nameof(ChangedMedia))]
    public async Task SetTracks_WithDifferentTracks_ClosesEverySubscriptionWithMediaChanged(string change, TrackDescription[] tracks)
    {
        StreamHub hub = CreateHub(null, H264(0), Pcma(1));
        Subscription[] viewers = [Subscribe(hub, "a"), Subscribe(hub, "b")];
        Publish(hub, [new Pkt(0, 0, 100, Kf: true), new Pkt(1, 1, 10)]);
        var events = new List<string>();
        hub.TracksChanged += _ => events.Add("tracks");
        hub.DemandChanged += h => events.Add($"demand {h.DemandCount}");

        hub.SetTracks(tracks);

        Assert.Equal(tracks, hub.Tracks);
        Assert.Equal(["tracks", "demand 0"], events);
        Assert.Equal(0, hub.SubscriberCount);
        Assert.Equal(0, hub.GetStats().GopCachePackets);
        Assert.Equal(0, Pool.Outstanding); // queued packets and the cache were released at once
        foreach (Subscription viewer in viewers)
        {
            Assert.Equal(SubscriptionCloseReasons.MediaChanged, viewer.CloseReason);
            Assert.False(await viewer.WaitToReadAsync(CancellationToken.None), change);
        }
    }

    [Fact]
    public void FirstSetTracks_ClosesNobody_AndRaisesTracksChanged()
    {
        StreamHub hub = CreateHub();
        Subscription early = Subscribe(hub);
        int tracksChanged = 0;
        hub.TracksChanged += _ => tracksChanged++;

        hub.SetTracks([H264(0)]);

        Assert.Equal(1, tracksChanged);
        Assert.False(early.IsClosed);
        Assert.Equal([H264(0)], hub.Tracks);
    }

    [Fact]
    public void Tracks_CannotBeChangedThroughTheReturnedList()
    {
        StreamHub hub = CreateHub(null, H264(0));
        Assert.False(hub.Tracks is TrackDescription[]);
        Assert.Throws<NotSupportedException>(() => ((IList<TrackDescription>)hub.Tracks!)[0] = Pcma(0));
    }

    [Fact]
    public async Task Dispose_ClosesEverySubscriptionWithStreamRemoved_AndReleasesEverything()
    {
        StreamHub hub = CreateHub(null, H264(0));
        Subscription viewer = Subscribe(hub);
        Publish(hub, [new Pkt(0, 0, 100, Kf: true), new Pkt(1, 0, 200)]);
        Assert.Equal(2, Pool.Outstanding); // each held by the queue and the cache
        int demandChanged = 0;
        hub.DemandChanged += _ => demandChanged++;

        hub.Dispose();
        hub.Dispose();

        Assert.Equal(0, Pool.Outstanding);
        Assert.Equal(SubscriptionCloseReasons.StreamRemoved, viewer.CloseReason);
        Assert.False(await viewer.WaitToReadAsync(CancellationToken.None));
        Assert.Equal(1, demandChanged);
        Assert.Throws<ObjectDisposedException>(() => hub.Subscribe("late"));
        Assert.Throws<ObjectDisposedException>(() => hub.AcquireDemand());
        Assert.Throws<ObjectDisposedException>(() => hub.SetTracks([H264(0)]));

        RelayPacket late = Rent(new Pkt(9, 0, 300, Kf: true));
        hub.Publish(late);
        Assert.Equal(1, late.RefCount); // ignored: no reference kept
        late.Release();
    }

    [Fact]
    public void SubscriptionDispose_ReleasesQueuedPackets_AndUnsubscribes()
    {
        StreamHub hub = CreateHub(null, Pcma(0));
        Subscription leaving = Subscribe(hub, "leaving");
        Subscription staying = Subscribe(hub, "staying");
        RelayPacket packet = Rent(new Pkt(0, 0, 0));
        hub.Publish(packet);
        Assert.Equal(3, packet.RefCount);

        leaving.Dispose();
        leaving.Dispose();

        Assert.Equal(2, packet.RefCount);
        Assert.Equal(SubscriptionCloseReasons.Unsubscribed, leaving.CloseReason);
        Assert.False(leaving.TryRead(out _));
        Assert.Equal(1, hub.SubscriberCount);
        packet.Release();
        Publish(hub, new Pkt(1, 0, 160));
        Assert.Equal([0, 1], Drain(staying));
    }

    [Fact]
    public void DemandCount_CountsHandlesAndSubscriptions_AndEveryChangeRaisesDemandChanged()
    {
        StreamHub hub = CreateHub(null, H264(0));
        var counts = new List<int>();
        hub.DemandChanged += h => counts.Add(h.DemandCount);

        IDisposable describe = hub.AcquireDemand();
        Subscription viewer = Subscribe(hub);
        IDisposable second = hub.AcquireDemand();
        describe.Dispose();
        describe.Dispose(); // idempotent
        viewer.Dispose();
        second.Dispose();

        Assert.Equal([1, 2, 3, 2, 1, 0], counts);
        Assert.Equal(0, hub.DemandCount);
    }

    [Fact]
    public async Task WaitForTracksAsync_IsTrueAtOnceWhenKnown_AndCompletesWhenTheCameraDescribes()
    {
        StreamHub known = CreateHub(null, H264(0));
        Task<bool> atOnce = known.WaitForTracksAsync(TimeSpan.Zero, CancellationToken.None);
        Assert.True(atOnce.IsCompletedSuccessfully);
        Assert.True(await atOnce);

        StreamHub pending = CreateHub();
        Task<bool> waiting = pending.WaitForTracksAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.False(waiting.IsCompleted);
        pending.SetTracks([H264(0)]);
        Assert.True(await waiting);
    }

    [Fact]
    public async Task WaitForTracksAsync_IsFalseOnTimeoutAndOnDispose_AndThrowsOnCancellation()
    {
        StreamHub hub = CreateHub();
        Assert.False(await hub.WaitForTracksAsync(TimeSpan.FromMilliseconds(1), CancellationToken.None));

        using var cancel = new CancellationTokenSource();
        Task<bool> cancelled = hub.WaitForTracksAsync(TimeSpan.FromSeconds(30), cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);

        Task<bool> disposed = hub.WaitForTracksAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        hub.Dispose();
        Assert.False(await disposed);
    }

    public static TheoryData<RelayOptions> InvalidOptions => new()
    {
        new RelayOptions { SubscriberQueueCapacity = 0 },
        new RelayOptions { GopCacheMaxPackets = 0 },
        new RelayOptions { GopCacheMaxBytes = 0 },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void Constructor_RejectsNonPositiveLimits(RelayOptions options)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new StreamHub("school/camera", options, Pool));
    }
}
