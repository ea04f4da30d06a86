namespace StreamGateway.Ingest.Tests;

public sealed class AccessUnitWakeupTests
{
    [Fact]
    public void AFramesPackets_WakeOnce_AtTheMarker()
    {
        var wakeup = new AccessUnitWakeup();

        bool[] wakes = [wakeup.ShouldWake(true, false, 3000), wakeup.ShouldWake(true, false, 3000), wakeup.ShouldWake(true, true, 3000)];

        Assert.Equal([false, false, true], wakes);
    }

    [Fact]
    public void AudioAndRtcp_WakeAtOnce_AndTakeHeldVideoAlong()
    {
        var wakeup = new AccessUnitWakeup();
        Assert.False(wakeup.ShouldWake(true, false, 3000));

        Assert.True(wakeup.ShouldWake(false, false, 160));

        // The held packet went with that wake-up: the next frame's packets are held afresh.
        Assert.False(wakeup.ShouldWake(true, false, 3000));
        Assert.True(wakeup.ShouldWake(true, true, 3000));
    }

    [Fact]
    public void ACameraWithoutMarkers_WakesWhenTheNextFrameBegins()
    {
        var wakeup = new AccessUnitWakeup();

        bool[] wakes = [wakeup.ShouldWake(true, false, 3000), wakeup.ShouldWake(true, false, 3000), wakeup.ShouldWake(true, false, 6000), wakeup.ShouldWake(true, false, 6000)];

        Assert.Equal([false, false, true, false], wakes);
    }

    [Fact]
    public void AHugeFrame_WithoutItsEnd_WakesEveryMaxHeldPackets()
    {
        var wakeup = new AccessUnitWakeup();

        int[] wakeAt = [.. Enumerable.Range(1, 3 * AccessUnitWakeup.MaxHeldPackets).Where(_ => wakeup.ShouldWake(true, false, 3000))];

        Assert.Equal([AccessUnitWakeup.MaxHeldPackets, 2 * AccessUnitWakeup.MaxHeldPackets, 3 * AccessUnitWakeup.MaxHeldPackets], wakeAt);
    }
}
