using StreamGateway.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace StreamGateway.IntegrationTests.Gateway;

[Collection(EndToEndCollection.Name)]
public sealed class GopCacheTests(ITestOutputHelper output)
{
    private const int Samples = 5;
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// With a 2 s GOP a player straight from the camera waits on average a second for a keyframe;
    /// through the gateway the GOP cache hands it the last keyframe at once.
    /// </summary>
    [Fact]
    public async Task A_new_viewer_decodes_its_first_frame_sooner_through_the_gateway()
    {
        await using var camera = await CameraServer.StartAsync([("cam", "h264")], gopSeconds: 2);
        await using var gateway = await GatewayUnderTest.StartAsync([("school-1/cam", camera.Url("cam"), "tcp")]);
        await Ffmpeg.CountFramesAsync(gateway.Url("school-1/cam"), "tcp", seconds: 1, ToolTimeout); // warm up: the camera is streaming

        var direct = new List<double>();
        var relayed = new List<double>();
        for (var i = 0; i < Samples; i++)
        {
            direct.Add((await Ffmpeg.TimeToFirstFrameAsync(camera.Url("cam"), "tcp", ToolTimeout)).TotalMilliseconds);
            relayed.Add((await Ffmpeg.TimeToFirstFrameAsync(gateway.Url("school-1/cam"), "tcp", ToolTimeout)).TotalMilliseconds);
        }

        var directMedian = Median(direct);
        var relayedMedian = Median(relayed);
        output.WriteLine($"time to first frame, ms: direct {string.Join(", ", direct.Select(d => d.ToString("0")))} (median {directMedian:0}); " +
                         $"gateway {string.Join(", ", relayed.Select(d => d.ToString("0")))} (median {relayedMedian:0})");
        Assert.True(relayedMedian < directMedian, $"gateway median {relayedMedian:0} ms is not below direct median {directMedian:0} ms");
    }

    /// <summary>
    /// <c>Gateway:Relay:GopCache</c> false, for memory-bound deployments: the gateway keeps no video of a
    /// camera nobody watches, and a viewer still decodes from the camera's next keyframe.
    /// </summary>
    [Fact]
    public async Task With_the_GOP_cache_off_the_gateway_holds_no_video_and_a_viewer_still_decodes()
    {
        await using var camera = await CameraServer.StartAsync([("cam", "h264")], gopSeconds: 1);
        await using var gateway = await GatewayUnderTest.StartAsync(
            [("school-1/cam", camera.Url("cam"), "tcp")],
            new Dictionary<string, string?> { ["Gateway:Relay:GopCache"] = "false" });

        var frames = (await Ffmpeg.CountFramesAsync(gateway.Url("school-1/cam"), "tcp", seconds: 3, ToolTimeout)).VideoFrames;
        var held = gateway.Pool.Outstanding;
        output.WriteLine($"frames decoded in 3 s: {frames}; relay packets held with no viewer: {held}");

        Assert.True(frames >= 25, $"viewer decoded only {frames} frames in 3 s");
        // With the cache on, this camera's latest GOP stays held (14 packets in one run); off, at most one in flight.
        Assert.True(held <= 1, $"{held} relay packets held with the GOP cache off and no viewer");
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
