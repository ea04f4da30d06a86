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

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
