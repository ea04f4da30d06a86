using StreamGateway.IntegrationTests.Infrastructure;

namespace StreamGateway.IntegrationTests.Gateway;

[Collection(EndToEndCollection.Name)]
public sealed class ManyCamerasTests
{
    private const int CameraCount = 10;
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Ten_cameras_are_each_readable_over_tcp_and_udp_with_all_their_tracks()
    {
        var kinds = new[] { "h264+aac", "h265", "h264+pcma", "h264", "h264+pcmu" };
        var mounts = Enumerable.Range(1, CameraCount).Select(i => ($"cam{i}", kinds[i % kinds.Length])).ToList();
        await using var camera = await CameraServer.StartAsync(mounts);
        await using var gateway = await GatewayUnderTest.StartAsync(
            mounts.Select((m, i) => ($"school-{(i / 4) + 1}/{m.Item1}", camera.Url(m.Item1), i % 2 == 0 ? "tcp" : "auto")));

        foreach (var (mount, kind, index) in mounts.Select((m, i) => (m.Item1, m.Item2, i)))
        {
            var url = gateway.Url($"school-{(index / 4) + 1}/{mount}");
            var expectAudio = kind.Contains('+', StringComparison.Ordinal);
            var probes = await Task.WhenAll(Ffprobe.ProbeAsync(url, "tcp", ToolTimeout), Ffprobe.ProbeAsync(url, "udp", ToolTimeout));
            foreach (var streams in probes)
            {
                Assert.Contains(streams, s => s.CodecType == "video");
                Assert.Equal(expectAudio, streams.Any(s => s.CodecType == "audio"));
            }
        }

        // One session per camera at the camera, whatever the viewers did.
        Assert.All(mounts, m => Assert.Equal(1, camera.CountPlays(m.Item1)));
    }
}
