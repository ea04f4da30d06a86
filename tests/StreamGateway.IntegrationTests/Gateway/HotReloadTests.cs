using System.Text.Json;
using StreamGateway.IntegrationTests.Infrastructure;

namespace StreamGateway.IntegrationTests.Gateway;

[Collection(EndToEndCollection.Name)]
public sealed class HotReloadTests : IDisposable
{
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(40);
    private readonly string _directory = Directory.CreateTempSubdirectory("sg-reload-").FullName;

    [Fact]
    public async Task An_edit_starts_added_cameras_stops_removed_ones_and_leaves_the_others_alone()
    {
        await using var camera = await CameraServer.StartAsync([("a", "h264"), ("b", "h264"), ("c", "h264")]);
        var configPath = Path.Combine(_directory, "gateway.json");
        WriteConfig(configPath, camera, "a", "b");
        await using var gateway = await GatewayUnderTest.StartFromFileAsync(configPath);
        var hubA = gateway.Host.Registry.Resolve("school-1/a")!;

        // A viewer on the unchanged camera for the whole edit.
        var viewer = Ffmpeg.CountFramesAsync(gateway.Url("school-1/a"), "tcp", seconds: 8, ToolTimeout);
        await RelayThroughGatewayTests.WaitUntilAsync(() => hubA.SubscriberCount == 1, TimeSpan.FromSeconds(20));

        var applied = AwaitReload(gateway);
        WriteConfig(configPath, camera, "a", "c");
        Assert.True(await applied, "the valid edit was not applied");

        Assert.Null(gateway.Host.Registry.Resolve("school-1/b"));
        Assert.Equal(404, await RawRtsp.DescribeStatusAsync(gateway.Url("school-1/b")));
        var streams = await Ffprobe.ProbeAsync(gateway.Url("school-1/c"), "tcp", ToolTimeout);
        Assert.Contains(streams, s => s.CodecName == "h264");

        var rejected = AwaitReload(gateway);
        await File.WriteAllTextAsync(configPath, """{ "Gateway": { "Schools": { "school-1": { "Cameras": { "a": { "Source": "not a url", "Transport": "carrier-pigeon" } } } } } }""");
        Assert.False(await rejected, "the bad edit was applied");
        Assert.Same(hubA, gateway.Host.Registry.Resolve("school-1/a"));
        Assert.NotNull(gateway.Host.Registry.Resolve("school-1/c"));

        var frames = await viewer;
        Assert.True(frames.VideoFrames >= 160, $"the viewer of the unchanged camera decoded only {frames.VideoFrames} frames in 8 s");
        Assert.Equal(1, camera.CountPlays("a"));
    }

    private static Task<bool> AwaitReload(GatewayUnderTest gateway)
    {
        var done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Handler(bool ok)
        {
            gateway.Host.ReloadCompleted -= Handler;
            done.TrySetResult(ok);
        }

        gateway.Host.ReloadCompleted += Handler;
        return done.Task.WaitAsync(TimeSpan.FromSeconds(15));
    }

    private static void WriteConfig(string path, CameraServer camera, params string[] mounts)
    {
        var cameras = mounts.ToDictionary(m => m, m => new { Source = camera.Url(m), Transport = "tcp" });
        var config = new
        {
            Gateway = new
            {
                Rtsp = new { Port = 0, BindAddress = "127.0.0.1" },
                Http = new { Port = 0, BindAddress = "127.0.0.1" },
                Recording = new { Enabled = false }, // viewers are counted below; a recorder would be one more
                Schools = new Dictionary<string, object> { ["school-1"] = new { Name = "Reload school", Cameras = cameras } },
            },
        };
        File.WriteAllText(path, JsonSerializer.Serialize(config));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
