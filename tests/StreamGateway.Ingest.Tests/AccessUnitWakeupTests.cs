namespace StreamGateway.Ingest.Tests;

public sealed class AccessUnitWakeupTests
{
    private const int Small = 100; // bytes: far from the byte bound

    [Fact]
    public void AFramesPackets_WakeOnce_AtTheMarker()
    {
        var wakeup = new AccessUnitWakeup();

        bool[] wakes = [wakeup.ShouldWake(true, false, 3000, Small), wakeup.ShouldWake(true, false, 3000, Small), wakeup.ShouldWake(true, true, 3000, Small)];

        Assert.Equal([false, false, true], wakes);
    }

    [Fact]
    public void AudioAndRtcp_WakeAtOnce_AndTakeHeldVideoAlong()
    {
        var wakeup = new AccessUnitWakeup();
        Assert.False(wakeup.ShouldWake(true, false, 3000, Small));

        Assert.True(wakeup.ShouldWake(false, false, 160, Small));

        // The held packet went with that wake-up: the next frame's packets are held afresh.
        Assert.False(wakeup.ShouldWake(true, false, 3000, Small));
        Assert.True(wakeup.ShouldWake(true, true, 3000, Small));
    }

    [Fact]
    public void ACameraWithoutMarkers_WakesWhenTheNextFrameBegins()
    {
        var wakeup = new AccessUnitWakeup();

        bool[] wakes = [wakeup.ShouldWake(true, false, 3000, Small), wakeup.ShouldWake(true, false, 3000, Small), wakeup.ShouldWake(true, false, 6000, Small), wakeup.ShouldWake(true, false, 6000, Small)];

        Assert.Equal([false, false, true, false], wakes);
    }

    [Fact]
    public void AHugeFrame_WithoutItsEnd_WakesEveryMaxHeldPackets()
    {
        var wakeup = new AccessUnitWakeup();

        int[] wakeAt = [.. Enumerable.Range(1, 3 * AccessUnitWakeup.MaxHeldPackets).Where(_ => wakeup.ShouldWake(true, false, 3000, Small))];

        Assert.Equal([AccessUnitWakeup.MaxHeldPackets, 2 * AccessUnitWakeup.MaxHeldPackets, 3 * AccessUnitWakeup.MaxHeldPackets], wakeAt);
    }

    [Fact]
    public void AKeyframeOfManyKilobytes_GoesOutInParts_OfAtMostMaxHeldBytes()
    {
        var wakeup = new AccessUnitWakeup();
        const int Packet = 1400;

        // A 40-packet keyframe (56 KB), the last with the marker.
        int[] wakeAt = [.. Enumerable.Range(1, 40).Where(i => wakeup.ShouldWake(true, i == 40, 9000, Packet))];

        int perWake = AccessUnitWakeup.MaxHeldBytes / Packet + 1;
        Assert.Equal([perWake, 2 * perWake, 3 * perWake, 40], wakeAt);
    }
}
