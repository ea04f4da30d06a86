namespace StreamGateway.Relay.Tests;

public sealed class ConcurrencyTests : RelayTestBase
{
    [Fact]
    public async Task Publishing100kPackets_WhileSubscribersComeAndGo_LeaksNothing_AndEachSubscriberSeesAnOrderedStream()
    {
        const int Packets = 100_000;
        const int Workers = 4;
        const int MaxSubscriptionsPerWorker = 2_000;
        StreamHub hub = CreateHub(new RelayOptions { SubscriberQueueCapacity = 64, GopCacheMaxPackets = 256 }, H264(0), Pcma(1));
        using var done = new CancellationTokenSource();
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        int subscriptionsOpened = 0;
        int published = 0;

        var producer = RunOnOwnThread(() =>
        {
            try
            {
                // At least Packets, and on until the workers have churned through subscriptions: on a busy
                // 2-core machine the workers may be descheduled while 100k packets go out. Bounded in count and time.
                var elapsed = System.Diagnostics.Stopwatch.StartNew();
                for (int i = 0;
                     i < Packets || (Volatile.Read(ref subscriptionsOpened) < 4 * Workers && i < 1000 * Packets && elapsed.Elapsed < TimeSpan.FromSeconds(60));
                     i++)
                {
                    published++;
                    // Keyframe AU of two packets every 100 packets, audio every 4th packet, RTCP now and then.
                    int frame = i / 4;
                    bool audio = i % 4 == 3;
                    bool keyframe = !audio && i % 100 < 2;
                    Publish(hub, new Pkt(i, audio ? 1 : 0, (uint)frame, Kf: keyframe, Rtcp: i % 97 == 0));
                }
            }
            finally
            {
                done.Cancel();
            }
        });

        Task[] workers = [.. Enumerable.Range(0, Workers).Select(w => RunOnOwnThread(() =>
        {
            var random = new Random(w);
            for (int n = 0; n < MaxSubscriptionsPerWorker && !done.IsCancellationRequested; n++)
            {
                Interlocked.Increment(ref subscriptionsOpened);
                using Subscription subscription = hub.Subscribe($"worker{w}-{n}");
                int reads = random.Next(0, 200);
                int last = -1;
                for (int r = 0; r < reads; r++)
                {
                    if (!subscription.TryRead(out RelayPacket? packet))
                    {
                        Thread.Yield();
                        continue;
                    }

                    int id = IdOf(packet);
                    packet.Release();
                    if (id <= last)
                    {
                        failures.Enqueue($"{subscription.Name}: {id} after {last}");
                    }

                    last = id;
                }

                // Leave with packets still queued half of the time: Dispose must release them.
            }
        }))];

        await producer.WaitAsync(TimeSpan.FromSeconds(120)); // throws TimeoutException if it hangs
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(120));

        Assert.Empty(failures);
        Assert.True(subscriptionsOpened >= 4 * Workers, $"only {subscriptionsOpened} subscriptions raced with the producer");
        Assert.Equal(0, hub.SubscriberCount);
        Assert.Equal(published, hub.GetStats().PacketsPublished);
        hub.Dispose();
        Assert.Equal(0, Pool.Outstanding);
    }

    [Fact]
    public async Task Subscribe_DuringPublishing_NeverLosesOrDuplicatesBetweenCacheAndLive()
    {
        const int Packets = 50_000;
        const int Subscribers = 200;
        StreamHub hub = CreateHub(new RelayOptions { SubscriberQueueCapacity = Packets + 1, GopCacheMaxPackets = Packets }, H264(0));
        var subscriptions = new System.Collections.Concurrent.ConcurrentQueue<Subscription>();
        using var done = new CancellationTokenSource();
        int published = 0;

        var producer = RunOnOwnThread(() =>
        {
            try
            {
                var elapsed = System.Diagnostics.Stopwatch.StartNew();
                for (int i = 0; i < Packets; i++)
                {
                    Publish(hub, new Pkt(i, 0, (uint)i, Kf: i % 1000 == 0));
                    Volatile.Write(ref published, i + 1);

                    // Half-way through each 200-packet window, wait (bounded) for that window's subscriber, so a
                    // descheduled test thread cannot let the producer finish alone; the subscribe still races with
                    // the window's other packets.
                    while (i % 200 == 100 && i / 200 < Subscribers && subscriptions.Count <= i / 200 && elapsed.Elapsed < TimeSpan.FromSeconds(30))
                    {
                        Thread.Yield();
                    }
                }
            }
            finally
            {
                done.Cancel();
            }
        });

        // Spread the subscriptions over the whole run, so they race with packets of every kind.
        for (int n = 0; n < Subscribers && !done.IsCancellationRequested; n++)
        {
            while (Volatile.Read(ref published) < n * 200 && !done.IsCancellationRequested)
            {
                Thread.Yield();
            }

            subscriptions.Enqueue(Subscribe(hub, $"late{n}"));
        }

        await producer.WaitAsync(TimeSpan.FromSeconds(120)); // throws TimeoutException if it hangs
        Assert.True(subscriptions.Count >= 100, $"only {subscriptions.Count} subscriptions raced with the producer");
        foreach (Subscription subscription in subscriptions)
        {
            List<int> ids = Drain(subscription);
            Assert.Equal(0, subscription.DroppedPackets);

            // From its first packet (the cache's keyframe, or live) a subscriber sees every packet exactly once.
            Assert.NotEmpty(ids);
            Assert.Equal(0, ids[0] % 1000); // the cache never overflows here, so it starts at a keyframe
            Assert.Equal(Enumerable.Range(ids[0], Packets - ids[0]), ids);
        }
    }

    [Fact]
    public async Task DisposingTheHub_WhilePublishing_LeaksNothing()
    {
        StreamHub hub = CreateHub(null, H264(0), Pcma(1));
        Subscription viewer = Subscribe(hub);
        using var started = new ManualResetEventSlim();

        var producer = RunOnOwnThread(() =>
        {
            for (int i = 0; i < 20_000; i++)
            {
                Publish(hub, new Pkt(i, i % 2, (uint)i, Kf: i % 50 == 0));
                if (i == 100)
                {
                    started.Set();
                }
            }
        });

        Assert.True(started.Wait(TimeSpan.FromSeconds(30)));
        hub.Dispose();
        await producer.WaitAsync(TimeSpan.FromSeconds(60)); // throws TimeoutException if it hangs

        Assert.Equal(SubscriptionCloseReasons.StreamRemoved, viewer.CloseReason);
        Assert.Equal(0, Pool.Outstanding);
    }
}
