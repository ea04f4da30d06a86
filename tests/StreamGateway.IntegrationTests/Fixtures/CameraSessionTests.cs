using StreamGateway.IntegrationTests.Gateway;
using StreamGateway.IntegrationTests.Infrastructure;

namespace StreamGateway.IntegrationTests.Fixtures;

/// <summary>The fake camera's event log and auth: what gateway tests rely on to count upstream sessions.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class CameraSessionTests
{
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Counts_one_play_per_session_and_per_mount()
    {
        await using var camera = await CameraServer.StartAsync([("a", "h264+aac"), ("b", "h264"), ("c", "h264")]);

        await Ffprobe.ProbeAsync(camera.Url("a"), "tcp", ToolTimeout);
        await Ffprobe.ProbeAsync(camera.Url("a"), "udp", ToolTimeout);
        await Ffprobe.ProbeAsync(camera.Url("b"), "tcp", ToolTimeout);
        await camera.WaitForEventAsync(e => e.StartsWith("TEARDOWN b ", StringComparison.Ordinal), EventTimeout);

        Assert.Equal(2, camera.CountPlays("a"));
        Assert.Equal(1, camera.CountPlays("b"));
        Assert.Equal(0, camera.CountPlays("c"));
        Assert.Equal(4, camera.CountSetups("a")); // two tracks, two sessions
        Assert.Equal(3, camera.CountConnections());
        Assert.Contains(camera.Events, e => e.StartsWith("SETUP a RTP/AVP/UDP;unicast;client_port=", StringComparison.Ordinal));
        Assert.Contains(camera.Events, e => e.StartsWith("SETUP a RTP/AVP/TCP;unicast;interleaved=0-1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Logs_the_session_id_of_each_play_and_its_teardown()
    {
        await using var camera = await CameraServer.StartAsync([("cam", "h264")]);

        await Ffprobe.ProbeAsync(camera.Url("cam"), "tcp", ToolTimeout);
        var teardown = await camera.WaitForEventAsync(e => e.StartsWith("TEARDOWN cam ", StringComparison.Ordinal), EventTimeout);
        await camera.WaitForEventAsync(e => e.StartsWith("CLOSED 127.0.0.1:", StringComparison.Ordinal), EventTimeout);

        var play = Assert.Single(camera.Events, e => e.StartsWith("PLAY cam ", StringComparison.Ordinal));
        var sessionId = play["PLAY cam ".Length..];
        Assert.Matches("^[A-Za-z0-9+._-]{8,}$", sessionId);
        Assert.Equal("TEARDOWN cam " + sessionId, teardown);
        Assert.Equal(0, camera.OpenConnections());
    }

    [Fact]
    public async Task Waiting_for_an_event_that_never_comes_times_out_with_what_was_seen()
    {
        await using var camera = await CameraServer.StartAsync([("cam", "h264")]);

        var error = await Assert.ThrowsAsync<TimeoutException>(
            () => camera.WaitForEventAsync(e => e.StartsWith("PLAY ", StringComparison.Ordinal), TimeSpan.FromMilliseconds(300)));

        Assert.Contains("READY " + camera.Port, error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// GStreamer's server seeks a seekable shared pipeline on every PLAY with a Range (ffmpeg sends one),
    /// restarting timestamps for viewers already watching; the fixture makes its live pipelines unseekable
    /// like a real camera's. A viewer that stays must see monotonic timestamps while others come and go.
    /// </summary>
    [Fact]
    public async Task A_viewer_joining_does_not_restart_the_stream_for_viewers_already_watching()
    {
        await using var camera = await CameraServer.StartAsync([("cam", "h264+aac")]);
        await using var watcher = ProcessRunner.Start(
            Tools.Ffmpeg,
            ["-nostdin", "-v", "warning", "-rtsp_transport", "tcp", "-i", camera.Url("cam"), "-t", "6", "-map", "0", "-c", "copy", "-f", "null", "-"]);
        await camera.WaitForEventAsync(e => e.StartsWith("PLAY cam ", StringComparison.Ordinal), EventTimeout);

        for (var i = 0; i < 3; i++)
        {
            await Ffmpeg.TimeToFirstFrameAsync(camera.Url("cam"), i % 2 == 0 ? "tcp" : "udp", ToolTimeout);
        }

        var result = await watcher.WaitForExitAsync(ToolTimeout);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(4, camera.CountPlays("cam"));
        Assert.DoesNotContain(result.StandardError, l => l.Contains("non monotonically increasing dts", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("digest", "Digest")]
    [InlineData("basic", "Basic")]
    public async Task A_camera_with_auth_refuses_anonymous_and_wrong_credentials_and_accepts_the_right_ones(string scheme, string challenge)
    {
        const string password = "Sm0ke-Test-Pw!";
        var auth = new CameraAuth(scheme, "viewer", password);
        await using var camera = await CameraServer.StartAsync([("cam", "h264")], auth);

        var anonymous = await Ffprobe.TryProbeAsync(camera.Url("cam"), "tcp", ToolTimeout);
        var wrong = await Ffprobe.TryProbeAsync($"rtsp://viewer:not-{Uri.EscapeDataString(password)}@127.0.0.1:{camera.Port}/cam", "tcp", ToolTimeout);
        var streams = await Ffprobe.ProbeAsync(camera.UrlWithCredentials("cam"), "tcp", ToolTimeout);

        Assert.False(anonymous.Success);
        Assert.Contains("401", anonymous.Process.ErrorText, StringComparison.Ordinal);
        Assert.False(wrong.Success);
        Assert.Contains("401", wrong.Process.ErrorText, StringComparison.Ordinal);
        Assert.DoesNotContain(password, wrong.Process.ErrorText, StringComparison.Ordinal);
        Assert.Contains(streams, s => s.CodecName == "h264");
        Assert.Equal(1, camera.CountPlays("cam"));
        Assert.StartsWith("WWW-Authenticate: " + challenge, await ChallengeAsync(camera), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GStreamer_viewer_passes_credentials_without_putting_them_on_its_command_line()
    {
        const string password = "Gst-Viewer-Pw";
        await using var camera = await CameraServer.StartAsync([("cam", "h264")], new CameraAuth("digest", "viewer", password));

        var result = await GstViewer.RunAsync(camera.Url("cam"), "tcp", seconds: 1, ToolTimeout, "viewer", password);

        Assert.Empty(result.Errors);
        Assert.True(result.VideoFrames > 10, $"decoded {result.VideoFrames} frames");
    }

    [Fact]
    public void Credentials_never_show_in_ToString_or_tool_errors()
    {
        const string password = "Never-Print-Me";
        var auth = new CameraAuth("digest", "viewer", password);
        var failed = new ToolFailedException(
            "ffprobe",
            $"rtsp://viewer:{password}@127.0.0.1:554/cam",
            new ProcessResult(1, [], [new Redactor([password]).Redact($"rtsp://viewer:{password}@127.0.0.1/cam: 401 ({password})")], false, TimeSpan.Zero));

        Assert.DoesNotContain(password, auth.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(password, failed.Message, StringComparison.Ordinal);
        Assert.Contains("rtsp://viewer:***@127.0.0.1:554/cam", failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Disposing_the_camera_stops_its_process_and_frees_the_port()
    {
        var camera = await CameraServer.StartAsync([("cam", "h264")]);
        var port = camera.Port;

        await camera.DisposeAsync();

        Assert.True(camera.HasExited);
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
        listener.Start(); // throws if the camera still held it
    }

    private static async Task<string> ChallengeAsync(CameraServer camera)
    {
        var response = await RawRtsp.ExchangeAsync(camera.Url("cam"), $"DESCRIBE {camera.Url("cam")} RTSP/1.0\r\nCSeq: 1\r\n\r\n");
        return response.Split("\r\n").Single(l => l.StartsWith("WWW-Authenticate:", StringComparison.OrdinalIgnoreCase));
    }
}
