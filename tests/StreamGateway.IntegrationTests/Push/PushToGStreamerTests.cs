using StreamGateway.IntegrationTests.Infrastructure;
using StreamGateway.Publish.Push;
using StreamGateway.Relay;

namespace StreamGateway.IntegrationTests.Push;

/// <summary>Pushes a relayed camera into GStreamer's RTSP server in RECORD mode and reads back what it received.</summary>
public sealed class PushToGStreamerTests
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(20);
    private const string Mount = "cou/school-12/gate";

    private static readonly PushOptions FastOptions = new()
    {
        InitialDelay = TimeSpan.FromMilliseconds(200),
        MaxDelay = TimeSpan.FromSeconds(2),
        AttemptTimeout = TimeSpan.FromSeconds(10),
    };

    [Fact]
    public async Task A_pushed_camera_arrives_as_h264_at_its_size_starting_on_a_keyframe()
    {
        var output = Directory.CreateTempSubdirectory("push-gst-");
        await using var camera = await PushedCamera.StartAsync();
        await using (var server = await RecordServer.StartAsync([Mount], output.FullName))
        {
            var ended = new List<PushSessionRecord>();
            await using (var push = new PushSession(camera.Hub, new PushTarget(new Uri(server.Url(Mount))), FastOptions, camera.LoggerFactory))
            {
                push.SessionEnded += r => { lock (ended) { ended.Add(r); } };
                push.Start();

                Assert.Equal("CAPS cou/school-12/gate 640x360 video/x-h264", await server.WaitForEventAsync(e => e.StartsWith("CAPS ", StringComparison.Ordinal), EventTimeout));
                Assert.Equal("FIRST cou/school-12/gate key", await server.WaitForEventAsync(e => e.StartsWith("FIRST ", StringComparison.Ordinal), EventTimeout));
                await server.WaitForEventAsync(e => e == "FRAMES cou/school-12/gate 50", EventTimeout);

                var status = push.Status;
                Assert.Equal(PushState.Recording, status.State);
                Assert.Equal(1, status.Connections);
                Assert.True(status.PacketsSent > 50, $"packets sent: {status.PacketsSent}");
                Assert.True(status.BytesSent > 10_000, $"bytes sent: {status.BytesSent}");
                Assert.Null(status.LastError);
                Assert.Contains("SETUP cou/school-12/gate RTP/AVP/TCP;unicast;interleaved=0-1;mode=record", server.Events);
                Assert.Equal(1, server.Count("ANNOUNCE"));
            }

            // Disposal tears the session down: the server sees the connection close, the audit record names it.
            await server.WaitForEventAsync(e => e.StartsWith("CLOSED ", StringComparison.Ordinal), EventTimeout);
            var record = Assert.Single(ended);
            Assert.Equal("stopped", record.Reason);
            Assert.Equal(PushedCamera.Path, record.CameraPath);
            Assert.Equal(server.Url(Mount), record.Url);
            Assert.True(record.BytesSent > 10_000 && record.Ended > record.Started, record.ToString());

            var file = Assert.Single(server.Files);
            var (streams, frames) = await Ffprobe.ProbeFileAsync(file, TimeSpan.FromSeconds(30));
            var video = Assert.Single(streams);
            Assert.Equal(("h264", 640, 360), (video.CodecName, video.Width, video.Height));
            Assert.True(frames >= 50, $"ffprobe decoded {frames} frames from {file}");
        }

        await camera.DisposeAsync();
        Assert.Equal(0, camera.Pool.Outstanding);
        output.Delete(recursive: true);
    }
}
