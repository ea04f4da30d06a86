using StreamGateway.IntegrationTests.Infrastructure;

namespace StreamGateway.IntegrationTests.Gateway;

/// <summary>
/// End to end: GStreamer's RTSP server plays the cameras, the gateway pulls them, and ffprobe,
/// ffmpeg and GStreamer's rtspsrc read them back through the gateway over TCP and UDP.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class RelayThroughGatewayTests
{
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(40);

    [Theory]
    [InlineData("tcp", "tcp")]
    [InlineData("udp", "udp")]
    [InlineData("auto", "tcp")]
    public async Task Relays_H264_and_AAC_to_ffprobe_and_ffmpeg(string ingestTransport, string viewerTransport)
    {
        await using var camera = await CameraServer.StartAsync([("cam", "h264+aac")]);
        await using var gateway = await GatewayUnderTest.StartAsync([("school-1/cam", camera.Url("cam"), ingestTransport)]);
        var url = gateway.Url("school-1/cam");

        var streams = await Ffprobe.ProbeAsync(url, viewerTransport, ToolTimeout);
        Assert.Contains(streams, s => s.CodecType == "video" && s.CodecName == "h264");
        Assert.Contains(streams, s => s.CodecType == "audio" && s.CodecName == "aac");

        var frames = await Ffmpeg.CountFramesAsync(url, viewerTransport, seconds: 4, ToolTimeout);
        Assert.True(frames.VideoFrames >= 60, $"decoded {frames.VideoFrames} video frames in 4 s at 25 fps");
        Assert.True(frames.AudioFrames > 0, "no audio decoded");
    }

    [Theory]
    [InlineData("h265", "hevc", null)]
    [InlineData("h264+pcma", "h264", "pcm_alaw")]
    [InlineData("h264+pcmu", "h264", "pcm_mulaw")]
    public async Task Relays_every_track_of_H265_and_G711_cameras(string kind, string videoCodec, string? audioCodec)
    {
        await using var camera = await CameraServer.StartAsync([("cam", kind)]);
        await using var gateway = await GatewayUnderTest.StartAsync([("school-1/cam", camera.Url("cam"), "tcp")]);
        var url = gateway.Url("school-1/cam");

        foreach (var transport in new[] { "tcp", "udp" })
        {
            var streams = await Ffprobe.ProbeAsync(url, transport, ToolTimeout);
            Assert.Contains(streams, s => s.CodecType == "video" && s.CodecName == videoCodec);
            if (audioCodec is not null)
            {
                Assert.Contains(streams, s => s.CodecType == "audio" && s.CodecName == audioCodec);
            }
        }

        var frames = await Ffmpeg.CountFramesAsync(url, "tcp", seconds: 3, ToolTimeout);
        Assert.True(frames.VideoFrames >= 40, $"decoded {frames.VideoFrames} video frames in 3 s at 25 fps");
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("udp")]
    public async Task GStreamer_rtspsrc_decodes_video_and_audio_through_the_gateway(string protocols)
    {
        await using var camera = await CameraServer.StartAsync([("cam", "h264+aac")]);
        await using var gateway = await GatewayUnderTest.StartAsync([("school-1/cam", camera.Url("cam"), "tcp")]);

        var result = await GstViewer.RunAsync(gateway.Url("school-1/cam"), protocols, seconds: 4, ToolTimeout);

        Assert.True(result.VideoFrames >= 40, $"rtspsrc decoded {result.VideoFrames} video frames");
        Assert.True(result.AudioBuffers > 0, "rtspsrc decoded no audio");
    }

    [Fact]
    public async Task Three_viewers_share_one_upstream_session()
    {
        await using var camera = await CameraServer.StartAsync([("cam", "h264+aac")]);
        await using var gateway = await GatewayUnderTest.StartAsync([("school-1/cam", camera.Url("cam"), "tcp")]);
        var url = gateway.Url("school-1/cam");

        var viewers = new[] { "tcp", "udp", "tcp" }.Select(t => Ffmpeg.CountFramesAsync(url, t, seconds: 4, ToolTimeout)).ToArray();
        var results = await Task.WhenAll(viewers);

        Assert.All(results, r => Assert.True(r.VideoFrames >= 60, $"a viewer decoded only {r.VideoFrames} frames"));
        Assert.Equal(1, camera.CountPlays("cam"));
    }

    [Fact]
    public async Task Pulls_a_camera_behind_Digest_auth_without_leaking_the_password()
    {
        const string password = "S3cret-Digest-Pw";
        await using var camera = await CameraServer.StartAsync([("cam", "h264")], new CameraAuth("digest", "viewer", password));
        await using var gateway = await GatewayUnderTest.StartAsync(
            [("school-1/cam", camera.Url("cam"), "tcp")],
            new Dictionary<string, string?>
            {
                ["Gateway:Schools:school-1:Cameras:cam:Username"] = "viewer",
                ["Gateway:Schools:school-1:Cameras:cam:Password"] = password,
            });

        var frames = await Ffmpeg.CountFramesAsync(gateway.Url("school-1/cam"), "tcp", seconds: 3, ToolTimeout);

        Assert.True(frames.VideoFrames >= 40, $"decoded {frames.VideoFrames} frames");
        Assert.DoesNotContain(password, gateway.Logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reports_rejected_credentials_without_showing_them()
    {
        const string wrongPassword = "Wr0ng-Password-123";
        await using var camera = await CameraServer.StartAsync([("cam", "h264")], new CameraAuth("digest", "viewer", "right-one"));
        await using var gateway = await GatewayUnderTest.StartAsync(
            [("school-1/cam", $"rtsp://viewer:{wrongPassword}@127.0.0.1:{camera.Port}/cam", "tcp")],
            waitForCameras: false);

        await WaitUntilAsync(() => gateway.Host.GetStatus().Single().LastError is not null, TimeSpan.FromSeconds(15));

        var status = gateway.Host.GetStatus().Single();
        Assert.Contains("401", status.LastError, StringComparison.Ordinal);
        Assert.DoesNotContain(wrongPassword, status.LastError!, StringComparison.Ordinal);
        Assert.DoesNotContain(wrongPassword, gateway.Logs.AllText, StringComparison.Ordinal);
    }

    internal static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, Func<string>? describeFailure = null)
    {
        using var cts = new CancellationTokenSource(timeout);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        while (!condition())
        {
            if (!await timer.WaitForNextTickAsync(cts.Token).AsTask().ContinueWith(t => t.Status == TaskStatus.RanToCompletion, TaskScheduler.Default))
            {
                Assert.Fail($"condition not met within {timeout.TotalSeconds} s: {describeFailure?.Invoke()}");
            }
        }
    }
}

/// <summary>End-to-end tests share the machine's two cores: run them one class at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EndToEndCollection
{
    public const string Name = "end-to-end";
}
