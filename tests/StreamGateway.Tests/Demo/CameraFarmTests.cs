using StreamGateway.Demo;

namespace StreamGateway.Tests.Demo;

public sealed class CameraFarmTests
{
    [Theory]
    [InlineData(20)]
    [InlineData(50)]
    [InlineData(500)]
    public void Cameras_start_at_points_of_the_clip_that_put_their_keyframes_out_of_step(int cameras)
    {
        // The load clip: 250 frames, a keyframe every 50.
        const int clipFrames = 250;
        const int gop = 50;
        var phases = Enumerable.Range(0, cameras).Select(i => CameraFarm.ClipPhase(i, clipFrames) % gop).ToList();

        Assert.All(phases, p => Assert.InRange(p, 0, gop - 1));
        // Spread: no frame interval of the GOP holds much more than its share of keyframes (aligned: all of them).
        var busiest = phases.GroupBy(p => p).Max(g => g.Count());
        Assert.True(busiest <= (cameras * 3 / gop / 2) + 2, $"{busiest} of {cameras} cameras send their keyframe in the same frame interval");
    }
}
