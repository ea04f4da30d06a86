using System.Net;
using System.Net.Sockets;
using StreamGateway.IntegrationTests.Infrastructure;
using StreamGateway.Publish.Push;
using Xunit.Abstractions;

namespace StreamGateway.IntegrationTests.Push;

/// <summary>Pushes a relayed camera into ffmpeg's RTSP listener (<c>-rtsp_flags listen</c>) and probes what it wrote.</summary>
public sealed class PushToFfmpegTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Ffmpeg_listening_for_a_publisher_receives_the_pushed_camera_as_h264()
    {
        var folder = Directory.CreateTempSubdirectory("push-ffmpeg-");
        var file = Path.Combine(folder.FullName, "received.mkv");
        var port = FreePorts.Tcp();
        var url = $"rtsp://127.0.0.1:{port}/live/school-12";
        await using var camera = await PushedCamera.StartAsync();

        // ffmpeg accepts one publisher, then writes until the publisher leaves (TEARDOWN or close).
        await using var ffmpeg = ProcessRunner.Start(
            Tools.Ffmpeg,
            ["-hide_banner", "-loglevel", "info", "-rtsp_flags", "listen", "-listen_timeout", "30", "-i", url, "-c", "copy", "-f", "matroska", "-y", file]);
        var options = new PushOptions { InitialDelay = TimeSpan.FromMilliseconds(200), MaxDelay = TimeSpan.FromSeconds(1) };
        var push = new PushSession(camera.Hub, new PushTarget(new Uri(url)), options, camera.LoggerFactory);
        try
        {
            push.Start();

            // The push may try before ffmpeg listens: it backs off and tries again until RECORD is accepted.
            await WaitUntilAsync(() => push.Status.PacketsSent > 300, Timeout, () => $"{push.Status}; ffmpeg: {string.Join(" | ", ffmpeg.StandardError.TakeLast(8))}");
            Assert.Equal(PushState.Recording, push.State);
        }
        finally
        {
            await push.DisposeAsync();
        }

        var exit = await ffmpeg.WaitForExitAsync(Timeout);
        Assert.True(exit.ExitCode == 0, $"ffmpeg exit {exit.ExitCode}: {exit.ErrorTail()}");
        var (streams, frames) = await Ffprobe.ProbeFileAsync(file, Timeout);
        var video = Assert.Single(streams);
        Assert.Equal(("video", "h264", 640, 360), (video.CodecType, video.CodecName, video.Width, video.Height));
        output.WriteLine($"push: {push.Status}; ffprobe decoded {frames} frames; ffmpeg said: {string.Join(" | ", exit.StandardError.TakeLast(12))}");
        Assert.True(frames >= 10, $"ffprobe decoded {frames} frames");

        await camera.DisposeAsync();
        Assert.Equal(0, camera.Pool.Outstanding);
        folder.Delete(recursive: true);
    }

    internal static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, Func<string> describe)
    {
        var deadline = DateTime.UtcNow + timeout;
        for (var i = 0; i < 10_000 && !condition(); i++)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"condition not met within {timeout.TotalSeconds:0.#} s: {describe()}");
            }

            await Task.Delay(50);
        }

        Assert.True(condition(), describe());
    }
}
