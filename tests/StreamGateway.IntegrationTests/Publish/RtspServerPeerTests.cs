using StreamGateway.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace StreamGateway.IntegrationTests.Publish;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PublishPeerCollection
{
    public const string Name = "Publish peers";
}

/// <summary>Real players (ffprobe, ffmpeg, GStreamer rtspsrc) against the replay camera served by <c>RtspServer</c> on loopback.</summary>
[Collection(PublishPeerCollection.Name)]
public sealed class RtspServerPeerTests(ITestOutputHelper output)
{
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("tcp")]
    [InlineData("udp")]
    public async Task Ffprobe_reports_h264_640x360(string transport)
    {
        await using var served = await ServedReplay.StartAsync();

        var streams = await Ffprobe.ProbeAsync(served.Url(), transport, ToolTimeout);

        var stream = Assert.Single(streams);
        Assert.Equal("h264", stream.CodecName);
        Assert.Equal(640, stream.Width);
        Assert.Equal(360, stream.Height);
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("udp")]
    public async Task Ffmpeg_decodes_at_least_80_frames_in_4_seconds(string transport)
    {
        await using var served = await ServedReplay.StartAsync();

        var counts = await Ffmpeg.CountFramesAsync(served.Url(), transport, seconds: 4, ToolTimeout);

        output.WriteLine($"ffmpeg decoded {counts.VideoFrames} frames over {transport} in {counts.Elapsed.TotalSeconds:0.0} s");
        WriteSessionSummaries(served);
        Assert.Equal(0, counts.ExitCode);
        Assert.InRange(counts.VideoFrames, 80, 200);
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("udp")]
    public async Task Gstreamer_rtspsrc_decodes_h264(string protocols)
    {
        await using var served = await ServedReplay.StartAsync();

        var result = await GstViewer.RunAsync(served.Url(), protocols, seconds: 3, ToolTimeout);

        output.WriteLine($"gstreamer decoded {result.VideoFrames} frames over {protocols}; errors: {string.Join("; ", result.Errors)}");
        WriteSessionSummaries(served);
        Assert.Empty(result.Errors);
        Assert.Equal("H264", result.VideoEncoding);
        Assert.InRange(result.VideoFrames, 40, 200); // 75 at 25 fps; a loaded test machine decodes fewer
    }

    [Fact]
    public async Task Gstreamer_launch_pipeline_reaches_50_decoded_frames_over_tcp()
    {
        await using var served = await ServedReplay.StartAsync();

        var result = await ProcessRunner.RunAsync(
            Tools.Require("gst-launch-1.0"),
            ["-q", "rtspsrc", $"location={served.Url()}", "protocols=tcp", "latency=0", "!", "rtph264depay", "!", "h264parse", "!", "avdec_h264", "!", "fakesink", "num-buffers=50"],
            ToolTimeout);

        Assert.False(result.TimedOut, "gst-launch did not reach 50 decoded frames in time");
        Assert.Equal(0, result.ExitCode);
    }

    private void WriteSessionSummaries(ServedReplay served)
    {
        foreach (var (_, text) in served.Logs.Lines.Where(l => l.EventId == 410))
        {
            output.WriteLine(text);
        }
    }
}
