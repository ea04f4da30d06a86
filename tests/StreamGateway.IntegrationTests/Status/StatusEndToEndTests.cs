using System.Diagnostics;
using System.Text.Json;
using StreamGateway.IntegrationTests.Gateway;
using StreamGateway.IntegrationTests.Infrastructure;

namespace StreamGateway.IntegrationTests.Status;

/// <summary>
/// End to end: a GStreamer camera (25 fps, one keyframe a second) through the gateway, read back by
/// an operator over <c>/api/v1/status</c> and <c>/metrics</c>, with and without an ffmpeg viewer.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class StatusEndToEndTests
{
    private const double GopSeconds = 1;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Operators_read_a_streaming_camera_and_its_viewers_drops_from_status_and_metrics()
    {
        await using var camera = await CameraServer.StartAsync([("cam", "h264+aac")], gopSeconds: GopSeconds);
        await using var gateway = await GatewayUnderTest.StartAsync([("school-1/cam", camera.Url("cam"), "tcp")]);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{gateway.Host.HttpEndPoint!.Port}"), Timeout = TimeSpan.FromSeconds(5) };

        // Rates settle once a few whole seconds have been counted (50 frames: two seconds at least).
        var cam = await WaitForCameraAsync(http, c =>
            c.GetProperty("state").GetString() == "streaming"
            && c.GetProperty("framesReceived").GetInt64() >= 50
            && c.GetProperty("framesPerSecond").GetDouble() is >= 22 and <= 28
            && c.GetProperty("bitrateBitsPerSecond").GetDouble() > 0
            && c.GetProperty("lastKeyframeAgeSeconds").ValueKind == JsonValueKind.Number);

        Assert.Equal(JsonValueKind.Null, cam.GetProperty("nextAttemptAt").ValueKind);
        Assert.Equal("tcp", cam.GetProperty("transport").GetString());
        Assert.Contains(cam.GetProperty("tracks").EnumerateArray(), t => t.GetProperty("kind").GetString() == "video" && t.GetProperty("encoding").GetString() == "H264");
        Assert.InRange(cam.GetProperty("lastKeyframeAgeSeconds").GetDouble(), 0, GopSeconds + 0.5);
        Assert.True(cam.GetProperty("keyframesReceived").GetInt64() > 0);
        Assert.Equal(0, cam.GetProperty("viewers").GetInt32());

        var metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Contains("streamgateway_camera_state{school=\"school-1\",camera=\"cam\",state=\"streaming\"} 1\n", metrics, StringComparison.Ordinal);
        Assert.Contains("streamgateway_camera_frames_per_second{school=\"school-1\",camera=\"cam\"} ", metrics, StringComparison.Ordinal);
        Assert.Contains("streamgateway_camera_bitrate_bits_per_second{school=\"school-1\",camera=\"cam\"} ", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("viewer=\"", metrics, StringComparison.Ordinal);

        // While ffmpeg watches, its subscription has a drops series; once it leaves, the series goes.
        var viewer = Ffmpeg.CountFramesAsync(gateway.Url("school-1/cam"), "tcp", seconds: 6, TimeSpan.FromSeconds(40));
        var watching = await WaitForMetricsAsync(http, m => m.Contains("streamgateway_viewer_dropped_packets_total{school=\"school-1\",camera=\"cam\",viewer=\"rtsp 127.0.0.1:", StringComparison.Ordinal));
        Assert.Contains("streamgateway_camera_viewers{school=\"school-1\",camera=\"cam\"} 1\n", watching, StringComparison.Ordinal);

        var frames = await viewer;
        Assert.True(frames.VideoFrames > 60, $"ffmpeg decoded {frames.VideoFrames} frames");
        await WaitForMetricsAsync(http, m => !m.Contains("viewer=\"", StringComparison.Ordinal));
    }

    private static async Task<JsonElement> WaitForCameraAsync(HttpClient http, Func<JsonElement, bool> condition)
    {
        var clock = Stopwatch.StartNew();
        var last = string.Empty;
        for (var attempt = 0; attempt < 1000 && clock.Elapsed < Deadline; attempt++)
        {
            last = await http.GetStringAsync(new Uri("/api/v1/status", UriKind.Relative));
            using var status = JsonDocument.Parse(last);
            var camera = status.RootElement.GetProperty("schools")[0].GetProperty("cameras")[0];
            if (condition(camera))
            {
                return camera.Clone();
            }

            await Task.Delay(100);
        }

        Assert.Fail("status never showed the camera as expected; last: " + last);
        return default;
    }

    private static async Task<string> WaitForMetricsAsync(HttpClient http, Func<string, bool> condition)
    {
        var clock = Stopwatch.StartNew();
        var last = string.Empty;
        for (var attempt = 0; attempt < 1000 && clock.Elapsed < Deadline; attempt++)
        {
            last = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
            if (condition(last))
            {
                return last;
            }

            await Task.Delay(50);
        }

        Assert.Fail("metrics never met the condition; last:\n" + last);
        return last;
    }
}
