using System.Diagnostics;
using StreamGateway.IntegrationTests.Gateway;
using StreamGateway.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace StreamGateway.IntegrationTests.Faults;

/// <summary>Issue 3 (b, c): the link to a camera goes half-open or is reset; the gateway notices and comes back.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class LinkFaultTests(ITestOutputHelper output)
{
    /// <summary>The issue's default StallTimeout.</summary>
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Fast retries (~1 s) in the first minute, plus connect, handshake and the first packet.</summary>
    private static readonly TimeSpan MaxReconnect = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task A_blackholed_link_is_detected_within_the_stall_timeout_and_the_camera_reconnects_when_it_heals()
    {
        var clock = Stopwatch.StartNew();
        await using var camera = await CameraServer.StartAsync([("cam", "h264")]);
        await using var proxy = FaultProxy.Start(camera.Port, clock);
        await using var gateway = await GatewayUnderTest.StartAsync([("school-1/cam", proxy.Wrap(camera.Url("cam")), "tcp")]);
        await using var raw = await RawRtpViewer.PlayAsync(gateway.Url("school-1/cam"), clock, TimeSpan.FromSeconds(15));
        await RelayThroughGatewayTests.WaitUntilAsync(() => raw.PacketCount >= 50, TimeSpan.FromSeconds(15));

        var blackholedAt = clock.Elapsed;
        proxy.SetMode(FaultMode.Blackhole);
        var detectedAt = await Poll.UntilAsync(() => State(gateway) != "Streaming", clock, StallTimeout + TimeSpan.FromSeconds(15));
        var loggedEnd = gateway.Logs.Lines.Any(l => l.Contains("[1006]", StringComparison.Ordinal));

        var healedAt = clock.Elapsed;
        proxy.SetMode(FaultMode.Forward);
        var streamingAt = await Poll.UntilAsync(() => State(gateway) == "Streaming", clock, TimeSpan.FromSeconds(25));
        var resumedAt = await raw.WaitForPacketAfterAsync(healedAt, TimeSpan.FromSeconds(10));
        var packets = raw.Packets;
        var gaps = RawRtpViewer.FindDiscontinuities(packets, 90000, maxSequenceGap: 500, slack: TimeSpan.FromSeconds(1));
        var status = gateway.Host.GetStatus().Single();

        output.WriteLine($"stall detected {Since(detectedAt, blackholedAt)} after the blackhole (limit {(StallTimeout + TimeSpan.FromSeconds(1)).TotalSeconds} s); event 1006 logged: {loggedEnd}");
        output.WriteLine($"streaming again {Since(streamingAt, healedAt)} after the link healed; raw viewer resumed {Since(resumedAt, healedAt)}");
        output.WriteLine($"status: {status.State} reconnects {status.Reconnects} error {status.LastError}; proxy {proxy}");
        output.WriteLine($"raw viewer: {packets.Count} packets, SSRCs {string.Join(",", packets.Select(p => p.Ssrc.ToString("X8")).Distinct())}, closed {raw.ClosedAt?.TotalSeconds.ToString("0.00") ?? "no"}; discontinuities: {string.Join(" | ", gaps.Take(5))}");

        Assert.True(detectedAt is { } d && d - blackholedAt <= StallTimeout + TimeSpan.FromSeconds(1), $"stall detected {Since(detectedAt, blackholedAt)} after the blackhole");
        Assert.True(loggedEnd, "no 'stream ended' (1006) log event");
        Assert.True(streamingAt is not null, "the camera did not stream again after the link healed: " + status.LastError);
        Assert.True(status.Reconnects >= 1, "no reconnect counted");
        Assert.Null(raw.ClosedAt);
        Assert.True(resumedAt is not null, "the raw viewer got no packet after the link healed");
        Assert.Empty(gaps);
    }

    [Fact]
    public async Task A_reset_link_makes_the_camera_reconnect_and_viewers_ride_through()
    {
        var clock = Stopwatch.StartNew();
        await using var camera = await CameraServer.StartAsync([("cam", "h264")]);
        await using var proxy = FaultProxy.Start(camera.Port, clock);
        await using var gateway = await GatewayUnderTest.StartAsync([("school-1/cam", proxy.Wrap(camera.Url("cam")), "tcp")]);
        await using var raw = await RawRtpViewer.PlayAsync(gateway.Url("school-1/cam"), clock, TimeSpan.FromSeconds(15));
        await RelayThroughGatewayTests.WaitUntilAsync(() => raw.PacketCount >= 50, TimeSpan.FromSeconds(15));
        var acceptedBefore = proxy.AcceptedConnections;

        var resetAt = clock.Elapsed;
        proxy.SetMode(FaultMode.Reset);
        var sawFailure = await Poll.UntilAsync(() => State(gateway) != "Streaming", clock, TimeSpan.FromSeconds(5));
        var retriedAt = await Poll.UntilAsync(() => proxy.AcceptedConnections > acceptedBefore, clock, TimeSpan.FromSeconds(5));
        var healedAt = clock.Elapsed;
        proxy.SetMode(FaultMode.Forward);
        var streamingAt = await Poll.UntilAsync(() => State(gateway) == "Streaming" && gateway.Host.GetStatus().Single().Reconnects >= 1, clock, TimeSpan.FromSeconds(30));
        var resumedAt = await raw.WaitForPacketAfterAsync(healedAt, TimeSpan.FromSeconds(10));
        var packets = raw.Packets;
        var gaps = RawRtpViewer.FindDiscontinuities(packets, 90000, maxSequenceGap: 500, slack: TimeSpan.FromSeconds(1));
        var status = gateway.Host.GetStatus().Single();

        output.WriteLine($"failure seen {Since(sawFailure, resetAt)} after the reset; first retry (reset too) {Since(retriedAt, resetAt)} after it; attempts during the reset: {proxy.AcceptedConnections - acceptedBefore - 1}");
        output.WriteLine($"streaming again {Since(streamingAt, healedAt)} after Forward; raw viewer resumed {Since(resumedAt, healedAt)}");
        output.WriteLine($"status: {status.State} reconnects {status.Reconnects} error {status.LastError}; proxy {proxy}");
        output.WriteLine($"raw viewer: {packets.Count} packets, SSRCs {string.Join(",", packets.Select(p => p.Ssrc.ToString("X8")).Distinct())}; discontinuities: {string.Join(" | ", gaps.Take(5))}");

        Assert.NotNull(sawFailure);
        Assert.True(streamingAt is { } s && s - healedAt <= MaxReconnect, $"streaming again {Since(streamingAt, healedAt)} after the link came back (limit {MaxReconnect.TotalSeconds} s)");
        Assert.Null(raw.ClosedAt);
        Assert.True(resumedAt is not null, "the raw viewer got no packet after the reconnect");
        Assert.Empty(gaps);
    }

    private static string State(GatewayUnderTest gateway) => gateway.Host.GetStatus().Single().State;

    private static string Since(TimeSpan? at, TimeSpan start) => at is { } t ? $"{(t - start).TotalMilliseconds:0} ms" : "never";
}
