using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using StreamGateway.Demo;
using StreamGateway.IntegrationTests.Gateway;
using StreamGateway.IntegrationTests.Infrastructure;
using StreamGateway.Publish;
using StreamGateway.Relay;
using Xunit.Abstractions;

namespace StreamGateway.IntegrationTests.Faults;

/// <summary>
/// Issue 3 (d): cameras that answer with malformed RTSP, SDP, interleaved frames, RTP or RTCP. The gateway
/// logs a secret-free error, counts it, keeps retrying, and a healthy camera in the same gateway keeps
/// relaying; afterwards the shared packet pool has every packet back.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class BadCameraTests(ITestOutputHelper output)
{
    private const string Password = "Sup3r-S3cret-Pw";
    private const double HealthySeconds = 12;
    private static readonly TimeSpan Observe = TimeSpan.FromSeconds(30);

    /// <summary>Bad camera → whether the gateway must count malformed packets for it (packets that arrive framed but invalid).</summary>
    public static TheoryData<string, bool> Cameras => new()
    {
        { "HTTP status line", false },
        { "binary garbage status line", false },
        { "Content-Length larger than sent, then close", false },
        { "10 MB Content-Length", false },
        { "SDP with no media", false },
        { "SDP garbage", false },
        { "endless headers", false },
        { "401 loop with a fresh nonce", false },
        { "interleaved frames too short for RTP", true },
        { "zero-length interleaved frames", false },
        { "RTP with a wrong version", true },
        { "RTP with bad padding", true },
        { "RTCP garbage", true },
    };

    [Theory]
    [MemberData(nameof(Cameras))]
    public async Task A_bad_camera_is_logged_without_secrets_counted_and_retried_while_a_healthy_camera_keeps_relaying(string camera, bool countsMalformed)
    {
        var clock = Stopwatch.StartNew();
        var outstandingBefore = RelayPacketPool.Shared.Outstanding;
        long outstandingAfter;
        await using (var bad = ScriptedCamera.Start(BadCameras.Get(camera)))
        {
            var healthy = ReplayCamera.FromAnnexBFile(DemoCameras.ClipPath, "good");
            var healthyServer = new RtspServer(new RtspServerOptions { BindAddress = IPAddress.Loopback, Port = 0 }, new OneHub(healthy.Hub), NullLoggerFactory.Instance);
            try
            {
                await healthy.StartAsync(CancellationToken.None);
                await healthyServer.StartAsync(CancellationToken.None);
                var healthyUrl = $"rtsp://127.0.0.1:{healthyServer.LocalEndPoint.Port}/good";

                await using (var gateway = await GatewayUnderTest.StartAsync(
                    [("school-1/good", healthyUrl, "tcp"), ("school-1/bad", bad.Url("cam", "admin", Password), "tcp")],
                    waitForCameras: false))
                {
                    // From a steady state: streaming with a keyframe cached, so the viewer's count starts at a decodable frame.
                    var goodHub = gateway.Host.Registry.Resolve("school-1/good")!;
                    await RelayThroughGatewayTests.WaitUntilAsync(() => Status(gateway, "good").State == "Streaming" && goodHub.GetStats().Keyframes > 0, TimeSpan.FromSeconds(15));
                    var viewer = Ffmpeg.CountFramesAsync(gateway.Url("school-1/good"), "tcp", HealthySeconds, TimeSpan.FromSeconds(HealthySeconds + 20));

                    var judged = await Poll.UntilAsync(
                        () => Status(gateway, "bad") is { LastError: not null } s && bad.ConnectionCount >= 2 && (!countsMalformed || s.MalformedPackets > 0),
                        clock,
                        Observe);
                    var frames = await viewer;
                    var badStatus = Status(gateway, "bad");
                    var goodStatus = Status(gateway, "good");
                    var logs = gateway.Logs.AllText;
                    var badLogLines = gateway.Logs.Lines.Where(l => l.Contains("school-1/bad", StringComparison.Ordinal) && (l.StartsWith("Warning", StringComparison.Ordinal) || l.StartsWith("Error", StringComparison.Ordinal))).ToList();
                    var maxRequestsPerConnection = bad.Requests.GroupBy(r => r.Connection).Select(g => g.Count()).DefaultIfEmpty(0).Max();

                    output.WriteLine($"{camera}: judged at {judged?.TotalSeconds.ToString("0.0") ?? "never"} s; connections {bad.ConnectionCount}; max requests on one connection {maxRequestsPerConnection}");
                    output.WriteLine($"bad: state {badStatus.State}, malformed {badStatus.MalformedPackets}, packets {badStatus.PacketsReceived}, error: {badStatus.LastError}");
                    output.WriteLine($"good: state {goodStatus.State}, reconnects {goodStatus.Reconnects}; viewer decoded {frames.VideoFrames} frames in {HealthySeconds} s");
                    output.WriteLine("bad camera log: " + string.Join(" | ", badLogLines.Take(2)));

                    Assert.DoesNotContain(Password, logs, StringComparison.Ordinal);
                    Assert.DoesNotContain(Password, badStatus.LastError ?? "", StringComparison.Ordinal);
                    Assert.NotNull(badStatus.LastError);
                    Assert.NotEqual("Streaming", badStatus.State);
                    Assert.NotEmpty(badLogLines);
                    Assert.True(bad.ConnectionCount >= 2, $"the gateway connected {bad.ConnectionCount} time(s): it stopped retrying");
                    Assert.True(maxRequestsPerConnection <= 10, $"{maxRequestsPerConnection} requests on one connection: the client loops");
                    if (countsMalformed)
                    {
                        Assert.True(badStatus.MalformedPackets > 0, "no malformed packet counted");
                    }

                    Assert.Equal("Streaming", goodStatus.State);
                    Assert.Equal(0, goodStatus.Reconnects);
                    Assert.True(frames.VideoFrames >= HealthySeconds * 25 * 0.9, $"the healthy camera's viewer decoded only {frames.VideoFrames} frames in {HealthySeconds} s");
                }
            }
            finally
            {
                await healthyServer.DisposeAsync();
                await healthy.DisposeAsync();
            }

            outstandingAfter = await SettleAsync(outstandingBefore);
        }

        output.WriteLine($"relay pool outstanding: before {outstandingBefore}, after disposal {outstandingAfter}");
        Assert.Equal(outstandingBefore, outstandingAfter);
    }

    /// <summary>Releases run on other threads as sessions close: a bounded moment for them.</summary>
    private static async Task<long> SettleAsync(long expected)
    {
        for (var i = 0; i < 100 && RelayPacketPool.Shared.Outstanding != expected; i++)
        {
            await Task.Delay(50);
        }

        return RelayPacketPool.Shared.Outstanding;
    }

    private static Hosting.CameraStatus Status(GatewayUnderTest gateway, string camera) =>
        gateway.Host.GetStatus().Single(s => s.Path == "school-1/" + camera);

    private sealed class OneHub(StreamHub hub) : IStreamResolver
    {
        public StreamHub? Resolve(string path) => path == hub.Path ? hub : null;
    }
}
