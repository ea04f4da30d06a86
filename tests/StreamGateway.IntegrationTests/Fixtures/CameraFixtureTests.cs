using StreamGateway.IntegrationTests.Gateway;
using StreamGateway.IntegrationTests.Infrastructure;

namespace StreamGateway.IntegrationTests.Fixtures;

/// <summary>One fake camera with a mount of every kind, shared by the read-only smoke tests.</summary>
public sealed class AllKindsCamera : IAsyncLifetime
{
    internal CameraServer Camera { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Camera = await CameraServer.StartAsync(CameraServer.Kinds.Select(k => (Mount(k), k)));

    public async Task DisposeAsync() => await Camera.DisposeAsync();

    internal static string Mount(string kind) => kind.Replace('+', '-');
}

/// <summary>
/// Smoke tests of the test peers themselves, straight against the fake camera (no gateway): if these fail,
/// a gateway test failing with the same tool says nothing about the gateway.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class CameraFixtureTests(AllKindsCamera shared) : IClassFixture<AllKindsCamera>
{
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("h264", "tcp", "h264", null)]
    [InlineData("h264+aac", "tcp", "h264", "aac")]
    [InlineData("h264+aac", "udp", "h264", "aac")]
    [InlineData("h265", "tcp", "hevc", null)]
    [InlineData("h265", "udp", "hevc", null)]
    [InlineData("h265+aac", "tcp", "hevc", "aac")]
    [InlineData("h264+pcma", "tcp", "h264", "pcm_alaw")]
    [InlineData("h264+pcmu", "udp", "h264", "pcm_mulaw")]
    public async Task Ffprobe_reads_every_camera_kind_with_its_codecs(string kind, string transport, string videoCodec, string? audioCodec)
    {
        var streams = await Ffprobe.ProbeAsync(shared.Camera.Url(AllKindsCamera.Mount(kind)), transport, ToolTimeout);

        var video = Assert.Single(streams, s => s.CodecType == "video");
        Assert.Equal(videoCodec, video.CodecName);
        Assert.Equal((320, 240), (video.Width, video.Height));
        if (audioCodec is null)
        {
            Assert.DoesNotContain(streams, s => s.CodecType == "audio");
        }
        else
        {
            var audio = Assert.Single(streams, s => s.CodecType == "audio");
            Assert.Equal(audioCodec, audio.CodecName);
            Assert.Equal(audioCodec == "aac" ? 16000 : 8000, audio.SampleRate);
        }
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("udp")]
    public async Task Ffmpeg_decodes_about_25_video_frames_a_second_and_audio(string transport)
    {
        var frames = await Ffmpeg.CountFramesAsync(shared.Camera.Url("h264-aac"), transport, seconds: 3, ToolTimeout);

        Assert.Equal(0, frames.ExitCode);
        Assert.InRange(frames.VideoFrames, 60, 90);
        Assert.True(frames.AudioFrames > 20, $"decoded {frames.AudioFrames} AAC frames in 3 s (16 kHz: ~47)");
    }

    [Fact]
    public async Task Ffmpeg_fails_with_a_clear_message_on_an_unknown_mount()
    {
        var error = await Assert.ThrowsAsync<ToolFailedException>(
            () => Ffmpeg.CountFramesAsync(shared.Camera.Url("no-such-camera"), "tcp", seconds: 1, ToolTimeout));

        Assert.Contains("404", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ffmpeg_measures_time_to_first_frame_within_one_GOP()
    {
        var elapsed = await Ffmpeg.TimeToFirstFrameAsync(shared.Camera.Url("h264"), "tcp", ToolTimeout);

        // Handshake plus at most one 1 s GOP, with room for a loaded machine.
        Assert.InRange(elapsed, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(6));
    }

    [Theory]
    [InlineData("h264+aac", "tcp", "H.264", "MPEG-4 AAC")]
    [InlineData("h264+aac", "udp", "H.264", "MPEG-4 AAC")]
    [InlineData("h265", "tcp", "H.265", null)]
    [InlineData("h264+pcmu", "tcp", "H.264", "Mu-Law audio")]
    public async Task GStreamer_viewer_decodes_video_and_audio(string kind, string protocols, string videoCodec, string? audioCodec)
    {
        var result = await GstViewer.RunAsync(shared.Camera.Url(AllKindsCamera.Mount(kind)), protocols, seconds: 2, ToolTimeout);

        Assert.Empty(result.Errors);
        Assert.InRange(result.VideoFrames, 35, 80);
        Assert.StartsWith(videoCodec, result.VideoCodec, StringComparison.Ordinal);
        Assert.StartsWith("video/x-raw", result.VideoCaps, StringComparison.Ordinal);
        if (audioCodec is null)
        {
            Assert.Equal(0, result.AudioBuffers);
        }
        else
        {
            Assert.True(result.AudioBuffers > 5, $"only {result.AudioBuffers} audio buffers");
            Assert.Equal(audioCodec, result.AudioCodec);
        }
    }

    [Fact]
    public async Task GStreamer_viewer_reports_an_unreachable_server_as_an_error()
    {
        var result = await GstViewer.RunAsync("rtsp://127.0.0.1:1/nothing", "tcp", seconds: 1, ToolTimeout);

        Assert.Equal(0, result.VideoFrames);
        Assert.NotEmpty(result.Errors);
    }

    [Fact]
    public async Task Vlc_records_the_camera_or_is_known_to_lack_an_RTSP_client()
    {
        if (!Vlc.IsAvailable)
        {
            // Debian 12's VLC is built without live555; any other reason (not installed...) is a broken machine.
            Assert.Contains("live555", Vlc.UnavailableReason, StringComparison.Ordinal);
            return;
        }

        var file = Path.Combine(Path.GetTempPath(), $"sg-vlc-{Guid.NewGuid():N}.ts");
        try
        {
            var recording = await Vlc.RecordAsync(shared.Camera.Url("h264-aac"), seconds: 3, file, ToolTimeout);
            Assert.Contains(recording.Streams, s => s.CodecName == "h264");
            Assert.Contains(recording.Streams, s => s.CodecName == "aac");
            Assert.True(recording.VideoFrames > 25, $"VLC recorded {recording.VideoFrames} video frames in 3 s");
        }
        finally
        {
            File.Delete(file);
        }
    }
}
