using System.Diagnostics;

namespace StreamGateway.Relay.Tests;

public sealed class SlowSubscriberTests : RelayTestBase
{
    [Fact]
    public void SlowSubscriber_DropsAndSkipsToTheNextKeyframe_WhileAFastSubscriberGetsEverything()
    {
        StreamHub hub = CreateHub(new RelayOptions { SubscriberQueueCapacity = 4 }, H264(0), Pcma(1));
        Subscription fast = Subscribe(hub, "fast");
        Subscription slow = Subscribe(hub, "slow");
        var fastIds = new List<int>();
        var slowIds = new List<int>();

        void Step(Pkt p)
        {
            Publish(hub, p);
            fastIds.AddRange(Drain(fast));
        }

        // GOP 1: keyframe then P-frames; the slow queue (4) fills at id 3, ids 4..9 are dropped.
        Step(new Pkt(0, 0, 1000, Kf: true));
        for (int i = 1; i <= 9; i++)
        {
            Step(new Pkt(i, 0, (uint)(1000 + (i * 3000))));
        }

        // The slow reader catches up, but P-frames, audio and RTCP still wait for a keyframe.
        slowIds.AddRange(Drain(slow));
        Step(new Pkt(10, 0, 40000));
        Step(new Pkt(11, 1, 500));
        Step(new Pkt(12, 0, 0, Rtcp: true));
        Step(new Pkt(13, 0, 43000));

        // GOP 2: SPS, PPS, IDR of one timestamp, then a P-frame and audio: all delivered again.
        Step(new Pkt(14, 0, 46000, Kf: true));
        Step(new Pkt(15, 0, 46000, Kf: true));
        Step(new Pkt(16, 0, 46000, Kf: true));
        Step(new Pkt(17, 1, 660));
        slowIds.AddRange(Drain(slow));

        Assert.Equal(Enumerable.Range(0, 18), fastIds);
        Assert.Equal([0, 1, 2, 3, 14, 15, 16, 17], slowIds);
        Assert.Equal((0L, 10L), (fast.DroppedPackets, slow.DroppedPackets));
        Assert.Equal(10, hub.GetStats().DroppedPackets);
    }

    [Fact]
    public void SlowSubscriber_StillFullAtTheKeyframe_KeepsSkippingUntilTheNextOne()
    {
        StreamHub hub = CreateHub(new RelayOptions { SubscriberQueueCapacity = 2 }, H264(0));
        Subscription slow = Subscribe(hub, "slow");

        Publish(hub, [
            new Pkt(0, 0, 100, Kf: true),
            new Pkt(1, 0, 200),
            new Pkt(2, 0, 300),              // full: dropped, skipping
            new Pkt(3, 0, 400, Kf: true),    // keyframe but still full: dropped
        ]);
        List<int> first = Drain(slow);
        Publish(hub, [
            new Pkt(4, 0, 500),              // room now, but not a keyframe: dropped
            new Pkt(5, 0, 600, Kf: true),
            new Pkt(6, 0, 700),
        ]);

        Assert.Equal([0, 1], first);
        Assert.Equal([5, 6], Drain(slow));
        Assert.Equal(3, slow.DroppedPackets);
    }

    public static TheoryData<string> StreamsWithoutKeyframeVideo => new() { "PCMA", "JPEG" };

    [Theory]
    [MemberData(nameof(StreamsWithoutKeyframeVideo))]
    public void StreamWithoutKeyframeVideo_ResumesAsSoonAsTheQueueHasRoom(string encoding)
    {
        StreamHub hub = CreateHub(
            new RelayOptions { SubscriberQueueCapacity = 2 },
            encoding == "JPEG" ? Jpeg(0) : Pcma(0));
        Subscription slow = Subscribe(hub, "slow");

        Publish(hub, [new Pkt(0, 0, 0), new Pkt(1, 0, 1), new Pkt(2, 0, 2), new Pkt(3, 0, 3)]);
        Assert.True(slow.TryRead(out RelayPacket? firstPacket));
        Assert.Equal(0, IdOf(firstPacket));
        firstPacket.Release();
        Publish(hub, [new Pkt(4, 0, 4), new Pkt(5, 0, 5)]);

        Assert.Equal([1, 4], Drain(slow));
        Assert.Equal(3, slow.DroppedPackets);
    }

    [Fact]
    public async Task Publish_NeverBlocksOnASubscriberThatNeverReads()
    {
        const int Packets = 100_000;
        StreamHub hub = CreateHub(new RelayOptions { SubscriberQueueCapacity = 16 }, H264(0), Pcma(1));
        Subscription stuck = Subscribe(hub, "stuck");

        var producer = RunOnOwnThread(() =>
        {
            for (int i = 0; i < Packets; i++)
            {
                Publish(hub, new Pkt(i, i % 4 == 3 ? 1 : 0, (uint)(i / 4), Kf: i % 400 == 0));
            }
        });

        await producer.WaitAsync(TimeSpan.FromSeconds(60)); // throws TimeoutException if it hangs
        Assert.Equal(Packets - 16, stuck.DroppedPackets);
        Assert.Equal(16, Drain(stuck).Count);
    }
}
