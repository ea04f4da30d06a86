namespace StreamGateway.Relay.Tests;

public sealed class FanOutTests : RelayTestBase
{
    [Theory]
    [InlineData(1)]
    [InlineData(10)]
    [InlineData(100)]
    public void Publish_DeliversTheSameInstanceInOrderToEverySubscriber(int subscriberCount)
    {
        const int Packets = 50;
        StreamHub hub = CreateHub(null, Pcma(0));
        Subscription[] subscriptions = [.. Enumerable.Range(0, subscriberCount).Select(i => Subscribe(hub, $"viewer{i}"))];

        // The test keeps its own reference to each packet so instances cannot be recycled while compared.
        var published = new List<RelayPacket>();
        for (int i = 0; i < Packets; i++)
        {
            RelayPacket packet = Rent(new Pkt(i, 0, (uint)(i * 160)));
            hub.Publish(packet);
            published.Add(packet);
            Assert.Equal(1 + subscriberCount, packet.RefCount);
        }

        foreach (Subscription subscription in subscriptions)
        {
            for (int i = 0; i < Packets; i++)
            {
                Assert.True(subscription.TryRead(out RelayPacket? received));
                Assert.Same(published[i], received);
                received.Release();
            }

            Assert.False(subscription.TryRead(out _));
            Assert.Equal(Packets, subscription.DeliveredPackets);
            Assert.Equal(0, subscription.DroppedPackets);
        }

        Assert.All(published, p => Assert.Equal(1, p.RefCount));
        published.ForEach(p => p.Release());
        Assert.Equal(0, Pool.Outstanding);
    }

    [Fact]
    public void Publish_WithoutSubscribersOrCache_KeepsNoReference()
    {
        StreamHub hub = CreateHub(null, Pcma(0));
        RelayPacket packet = Rent(new Pkt(1, 0, 0));

        hub.Publish(packet);

        Assert.Equal(1, packet.RefCount);
        packet.Release();
        Assert.Equal(0, Pool.Outstanding);
    }

    [Fact]
    public async Task WaitToReadAsync_CompletesWhenAPacketIsPublished()
    {
        StreamHub hub = CreateHub(null, Pcma(0));
        Subscription subscription = Subscribe(hub);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        ValueTask<bool> waiting = subscription.WaitToReadAsync(timeout.Token);
        Assert.False(waiting.IsCompleted);
        Publish(hub, new Pkt(42, 0, 0));

        Assert.True(await waiting);
        Assert.Equal([42], Drain(subscription));
    }

    [Fact]
    public async Task PublishWithoutWake_QueuesTheBurst_AndWakeSubscribersWakesTheReaderOnceForAllOfIt()
    {
        StreamHub hub = CreateHub(null, Pcma(0));
        Subscription subscription = Subscribe(hub);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        ValueTask<bool> waiting = subscription.WaitToReadAsync(timeout.Token);
        for (int id = 1; id <= 3; id++)
        {
            RelayPacket packet = Rent(new Pkt(id, 0, 0));
            hub.Publish(packet, wakeSubscribers: false);
            packet.Release();
        }

        Assert.False(waiting.IsCompleted);
        hub.WakeSubscribers();

        Assert.True(await waiting);
        Assert.Equal([1, 2, 3], Drain(subscription));
        Assert.Equal(0, Pool.Outstanding);
    }

    [Fact]
    public async Task AnInlineReader_IsWokenOnTheProducersThread_BeforeWakeSubscribersReturns()
    {
        StreamHub hub = CreateHub(null, Pcma(0));
        Subscription subscription = hub.Subscribe("viewer", readerRunsInline: true);
        int? resumedOnThread = null;
        List<int>? readInline = null;

        async Task ReadOnceAsync()
        {
            await subscription.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false);
            resumedOnThread = Environment.CurrentManagedThreadId;
            readInline = Drain(subscription);
        }

        Task reader = ReadOnceAsync();
        Assert.False(reader.IsCompleted);
        RelayPacket packet = Rent(new Pkt(1, 0, 0));
        hub.Publish(packet, wakeSubscribers: false);
        packet.Release();
        Assert.Null(resumedOnThread);

        hub.WakeSubscribers();

        // Already done when WakeSubscribers returns, on this thread: no thread-pool hop between camera and viewer.
        Assert.Equal(Environment.CurrentManagedThreadId, resumedOnThread);
        Assert.Equal([1], readInline);
        await reader;
        subscription.Dispose();
        Assert.Equal(0, Pool.Outstanding);
    }

    [Fact]
    public async Task WaitToReadAsync_EndsWithCancellation_AndTheNextWaitStillWorks()
    {
        StreamHub hub = CreateHub(null, Pcma(0));
        Subscription subscription = Subscribe(hub);
        using var cancel = new CancellationTokenSource();

        ValueTask<bool> waiting = subscription.WaitToReadAsync(cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await waiting);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        ValueTask<bool> again = subscription.WaitToReadAsync(timeout.Token);
        Publish(hub, new Pkt(7, 0, 0));
        Assert.True(await again);
        Assert.Equal([7], Drain(subscription));
    }

    [Fact]
    public async Task WaitToReadAsync_AnswersFalse_WhenTheHubClosesTheWaitingSubscription()
    {
        StreamHub hub = CreateHub(null, Pcma(0));
        Subscription subscription = Subscribe(hub);
        Publish(hub, new Pkt(1, 0, 0));
        Assert.Equal([1], Drain(subscription));

        ValueTask<bool> waiting = subscription.WaitToReadAsync(CancellationToken.None);
        Publish(hub, new Pkt(2, 0, 0)); // woken, then closed with the packet still queued
        Assert.True(await waiting);
        hub.Dispose();

        Assert.False(await subscription.WaitToReadAsync(CancellationToken.None));
        Assert.False(subscription.TryRead(out _));
        Assert.Equal(0, Pool.Outstanding);
    }

    [Fact]
    public async Task Subscription_HoldsABacklogUpToItsCapacity_GrowingItsRingAsNeeded()
    {
        StreamHub hub = CreateHub(new RelayOptions { SubscriberQueueCapacity = 300 }, Pcma(0));
        Subscription subscription = Subscribe(hub);
        Publish(hub, Enumerable.Range(0, 400).Select(i => new Pkt(i, 0, (uint)i)));

        Assert.True(await subscription.WaitToReadAsync(CancellationToken.None));
        Assert.Equal(Enumerable.Range(0, 300), Drain(subscription));
        Assert.Equal(100, subscription.DroppedPackets);
    }

    [Fact]
    public void GetStats_CountsPublishedPacketsBytesKeyframesAndSubscribers()
    {
        StreamHub hub = CreateHub(null, H264(0), Pcma(1));
        Subscription subscription = Subscribe(hub);
        Publish(hub, [
            new Pkt(0, 0, 100, Kf: true, Length: 20),
            new Pkt(1, 0, 100, Kf: true, Length: 30),
            new Pkt(2, 1, 5, Length: 40),
            new Pkt(3, 0, 200, Length: 50),
            new Pkt(4, 0, 0, Rtcp: true, Length: 60),
            new Pkt(5, 0, 300, Kf: true, Length: 70),
        ]);

        RelayStats stats = hub.GetStats();

        Assert.Equal(new RelayStats(
            PacketsPublished: 6,
            BytesPublished: 270,
            Keyframes: 2,
            GopCachePackets: 1,
            GopCacheBytes: 70,
            Subscribers: 1,
            DroppedPackets: 0), stats);
        Assert.Equal([0, 1, 2, 3, 4, 5], Drain(subscription));
    }

    [Fact]
    public void SteadyState_PublishAndRead_AllocateNothingPerPacket()
    {
        StreamHub hub = CreateHub(null, H264(0), Pcma(1));
        Subscription[] viewers = [.. Enumerable.Range(0, 10).Select(i => Subscribe(hub, $"viewer{i}"))];
        var gop = Enumerable.Range(0, 100).Select(i => new Pkt(i, i % 5 == 4 ? 1 : 0, (uint)(i / 5), Kf: i < 2)).ToArray();

        void RunGops(int count)
        {
            for (int g = 0; g < count; g++)
            {
                foreach (Pkt p in gop)
                {
                    Publish(hub, p);
                    foreach (Subscription viewer in viewers)
                    {
                        Assert.True(viewer.TryRead(out RelayPacket? packet));
                        packet.Release();
                    }
                }
            }
        }

        RunGops(5); // warm-up: pool objects, queue and cache storage reach their working size
        long before = GC.GetAllocatedBytesForCurrentThread();
        RunGops(100);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(allocated < 1024, $"{allocated} bytes allocated for 10,000 packets");
    }
}
