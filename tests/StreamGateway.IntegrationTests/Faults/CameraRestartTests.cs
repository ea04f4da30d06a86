using System.Diagnostics;
using StreamGateway.IntegrationTests.Gateway;
using StreamGateway.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace StreamGateway.IntegrationTests.Faults;

/// <summary>Issue 3 (a): a camera that crashes and comes back on the same port, with viewers watching throughout.</summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "Fault")]
public sealed class CameraRestartTests(ITestOutputHelper output)
{
    private const double GstViewerSeconds = 35;
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan MaxResume = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task Viewers_keep_their_sessions_across_a_camera_crash_and_decode_again_within_2_s_of_its_return()
    {
        var clock = Stopwatch.StartNew();
        await using var camera = await KillableCamera.StartAsync("cam", "h264", clock);
        await using var gateway = await GatewayUnderTest.StartAsync([("school-1/cam", camera.Url, "tcp")]);
        var url = gateway.Url("school-1/cam");

        var gst = GstViewer.RunAsync(url, "tcp", GstViewerSeconds, TimeSpan.FromSeconds(GstViewerSeconds + 25));
        await using var ffmpeg = FfmpegFrameViewer.Start(url, clock, socketTimeout: TimeSpan.FromSeconds(60));
        await using var raw = await RawRtpViewer.PlayAsync(url, clock, TimeSpan.FromSeconds(15));
        await RelayThroughGatewayTests.WaitUntilAsync(() => ffmpeg.FrameTimes.Count >= 25 && raw.PacketCount >= 50, TimeSpan.FromSeconds(20));

        var killedAt = clock.Elapsed;
        await camera.KillAsync();
        await Task.Delay(Outage); // the fault itself: the camera stays dead this long
        await camera.RestartAsync();
        var ready = camera.ReadyAt!.Value;

        var ffmpegResumed = await ffmpeg.WaitForFrameAfterAsync(ready, TimeSpan.FromSeconds(20));
        var rawResumed = await raw.WaitForPacketAfterAsync(ready, TimeSpan.FromSeconds(20));
        var gstResult = await gst;
        var ffmpegExitedEarly = ffmpeg.HasExited;
        var rawClosedAt = raw.ClosedAt;
        var packets = raw.Packets;
        var ssrcs = packets.Select(p => p.Ssrc).Distinct().Select(s => s.ToString("X8")).ToList();
        var gaps = RawRtpViewer.FindDiscontinuities(packets, 90000, maxSequenceGap: 500, slack: TimeSpan.FromSeconds(1));
        await ffmpeg.DisposeAsync();
        var dtsComplaints = ffmpeg.StandardError.Where(l => l.Contains("non monoton", StringComparison.OrdinalIgnoreCase) || l.Contains("non-monoton", StringComparison.OrdinalIgnoreCase)).ToList();

        output.WriteLine($"killed at {killedAt.TotalSeconds:0.00} s, READY again at {ready.TotalSeconds:0.00} s");
        output.WriteLine($"ffmpeg: resumed {Describe(ffmpegResumed, ready)} after READY; frames {ffmpeg.FrameTimes.Count}; exited early: {ffmpegExitedEarly}; dts complaints: {dtsComplaints.Count} {string.Join(" | ", dtsComplaints.Take(2))}");
        output.WriteLine($"raw RTP: resumed {Describe(rawResumed, ready)} after READY; packets {packets.Count}; SSRCs {string.Join(",", ssrcs)}; closed: {rawClosedAt?.TotalSeconds.ToString("0.00") ?? "no"} ({raw.CloseReason}); discontinuities: {string.Join(" | ", gaps.Take(5))}");
        output.WriteLine($"gst viewer: frames {gstResult.VideoFrames}, elapsed {gstResult.ElapsedSeconds:0.0} s, errors: {string.Join(" | ", gstResult.Errors)}");
        output.WriteLine($"gateway: {string.Join("; ", gateway.Host.GetStatus().Select(s => $"{s.Path} {s.State} reconnects {s.Reconnects} error {s.LastError}"))}");

        Assert.False(ffmpegExitedEarly, "ffmpeg's session ended during the outage: " + string.Join(" | ", ffmpeg.StandardError.TakeLast(5)));
        Assert.Null(rawClosedAt);
        Assert.True(ffmpegResumed is { } f && f - ready <= MaxResume, $"ffmpeg decoded again {Describe(ffmpegResumed, ready)} after the camera's READY (limit {MaxResume.TotalSeconds} s)");
        Assert.True(rawResumed is { } r && r - ready <= MaxResume, $"raw RTP resumed {Describe(rawResumed, ready)} after the camera's READY (limit {MaxResume.TotalSeconds} s)");
        Assert.Empty(dtsComplaints);
        Assert.Single(ssrcs);
        Assert.Empty(gaps);
        Assert.Empty(gstResult.Errors);
        Assert.True(gstResult.ElapsedSeconds >= GstViewerSeconds, $"the GStreamer viewer stopped after {gstResult.ElapsedSeconds:0.0} s");

        // 35 s of counting minus the outage and the resume: at 25 fps, at least 80 % of the rest.
        var expected = (int)((GstViewerSeconds - Outage.TotalSeconds - MaxResume.TotalSeconds) * 25 * 0.8);
        Assert.True(gstResult.VideoFrames >= expected, $"the GStreamer viewer decoded {gstResult.VideoFrames} frames, expected >= {expected}");
    }

    private static string Describe(TimeSpan? resumed, TimeSpan ready) =>
        resumed is { } t ? $"{(t - ready).TotalMilliseconds:0} ms" : "never (within 20 s)";
}
