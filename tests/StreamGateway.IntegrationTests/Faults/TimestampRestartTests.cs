using System.Diagnostics;
using StreamGateway.IntegrationTests.Gateway;
using Xunit.Abstractions;

namespace StreamGateway.IntegrationTests.Faults;

/// <summary>Issue 3 (e): a camera whose RTP timeline restarts (new SSRC, sequence and timestamp bases), as after a reboot.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class TimestampRestartTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("mid-stream")]
    [InlineData("across a reconnect")]
    public async Task Viewers_see_one_continuous_stream_when_the_camera_restarts_its_timestamps(string when)
    {
        var clock = Stopwatch.StartNew();
        await using var camera = ClipCamera.Start("cam");
        await using var server = await InProcessCameraServer.StartAsync(path => path == "cam" ? camera.Hub : null);
        await using var proxy = FaultProxy.Start(server.Port, clock);
        await using var gateway = await GatewayUnderTest.StartAsync([("school-1/cam", proxy.Wrap(server.Url("cam")), "tcp")]);
        await using var raw = await RawRtpViewer.PlayAsync(gateway.Url("school-1/cam"), clock, TimeSpan.FromSeconds(15));
        await RelayThroughGatewayTests.WaitUntilAsync(() => raw.PacketCount >= 50, TimeSpan.FromSeconds(15));
        var ssrcBefore = camera.Ssrc;

        var restartedAt = clock.Elapsed;
        if (when == "mid-stream")
        {
            camera.RestartTimeline();
        }
        else
        {
            proxy.SetMode(FaultMode.Reset);
            camera.RestartTimeline();
            await Poll.UntilAsync(() => gateway.Host.GetStatus().Single().State != "Streaming", clock, TimeSpan.FromSeconds(5));
            proxy.SetMode(FaultMode.Forward);
        }

        var resumedAt = await raw.WaitForPacketAfterAsync(restartedAt + TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(20));

        // About three more seconds of the new timeline, bounded.
        await Poll.UntilAsync(() => raw.Packets.Count(p => p.At > (resumedAt ?? restartedAt)) >= 150, clock, TimeSpan.FromSeconds(10));
        var packets = raw.Packets;
        var after = packets.Count(p => p.At > restartedAt);
        var ssrcs = packets.Select(p => p.Ssrc.ToString("X8")).Distinct().ToList();
        var gaps = RawRtpViewer.FindDiscontinuities(packets, 90000, maxSequenceGap: 500, slack: TimeSpan.FromSeconds(1));
        var status = gateway.Host.GetStatus().Single();

        output.WriteLine($"{when}: camera SSRC {ssrcBefore:X8} -> {camera.Ssrc:X8}; viewer resumed {(resumedAt - restartedAt)?.TotalMilliseconds.ToString("0") ?? "never"} ms after the restart");
        output.WriteLine($"viewer: {packets.Count} packets ({after} after the restart), SSRCs {string.Join(",", ssrcs)}, closed {raw.ClosedAt?.TotalSeconds.ToString("0.00") ?? "no"} ({raw.CloseReason})");
        output.WriteLine($"discontinuities: {string.Join(" | ", gaps.Take(6))}");
        output.WriteLine($"gateway: {status.State} reconnects {status.Reconnects} malformed {status.MalformedPackets} error {status.LastError}");

        Assert.NotEqual(ssrcBefore, camera.Ssrc);
        Assert.Null(raw.ClosedAt);
        Assert.True(after >= 150, $"only {after} packets reached the viewer after the restart");
        Assert.Single(ssrcs);
        Assert.Empty(gaps);
    }
}
