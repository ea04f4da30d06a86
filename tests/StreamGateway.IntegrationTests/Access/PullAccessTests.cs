using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using StreamGateway.Audit;
using StreamGateway.Configuration;
using StreamGateway.Demo;
using StreamGateway.IntegrationTests.Gateway;
using StreamGateway.IntegrationTests.Infrastructure;
using StreamGateway.Publish;
using StreamGateway.Relay;
using Xunit.Abstractions;

namespace StreamGateway.IntegrationTests.Access;

/// <summary>
/// Per-center pull access end to end: a whole gateway in-process with two destinations (one by district route),
/// read by real players (ffprobe, GStreamer rtspsrc) with and without the right credentials, and the audit trail
/// those sessions leave.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class PullAccessTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string RopUser = "rop-dispatcher";
    private const string RopPassword = "Rop-Pull-7f3a9c";
    private const string CouUser = "cou-vms";
    private const string CouPassword = "Cou-Pull-52be10";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(40);

    private readonly string _auditDirectory = Path.Combine(Path.GetTempPath(), "sg-access-audit-" + Guid.NewGuid().ToString("N"));
    private ReplayCamera? _camera;
    private RtspServer? _cameraServer;

    public async Task InitializeAsync()
    {
        // One cheap replayed camera answers on every path; the gateway pulls it once per configured camera.
        _camera = ReplayCamera.FromAnnexBFile(DemoCameras.ClipPath, "replay");
        _cameraServer = new RtspServer(new RtspServerOptions { BindAddress = IPAddress.Loopback, Port = 0 }, new AnyPath(_camera.Hub), NullLoggerFactory.Instance);
        await _camera.StartAsync(CancellationToken.None);
        await _cameraServer.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _cameraServer!.DisposeAsync();
        await _camera!.DisposeAsync();
        if (Directory.Exists(_auditDirectory))
        {
            Directory.Delete(_auditDirectory, recursive: true);
        }
    }

    private string CameraUrl => $"rtsp://127.0.0.1:{_cameraServer!.LocalEndPoint.Port}/replay";

    private (string Path, string Source, string Transport)[] Cameras => [("school-3/gate", CameraUrl, "tcp"), ("school-12/entrance", CameraUrl, "tcp")];

    private Task<GatewayUnderTest> StartGatewayAsync(bool allowBasic = false) => GatewayUnderTest.StartAsync(Cameras, Keys(allowBasic));

    /// <summary>The destination keys; <paramref name="districtRoute"/> false drops the lisakovsk district's route.</summary>
    private Dictionary<string, string?> Keys(bool allowBasic = false, bool districtRoute = true)
    {
        var keys = new Dictionary<string, string?>
        {
            ["Gateway:Schools:school-3:District"] = "lisakovsk",
            ["Gateway:Schools:school-12:District"] = "kostanay",
            ["Gateway:Schools:school-12:Destinations:0"] = "kostanay-cou",
            ["Gateway:Districts:lisakovsk:Destinations:0"] = "lisakovsk-rop",
            ["Gateway:Destinations:kostanay-cou:Name"] = "Kostanay regional operations center",
            [$"Gateway:Destinations:kostanay-cou:Pull:Users:{CouUser}:Password"] = CouPassword,
            ["Gateway:Destinations:lisakovsk-rop:Name"] = "Lisakovsk district police department",
            [$"Gateway:Destinations:lisakovsk-rop:Pull:Users:{RopUser}:Password"] = RopPassword,
            ["Gateway:Destinations:lisakovsk-rop:Pull:AllowBasic"] = allowBasic ? "true" : "false",
            ["Gateway:Audit:Path"] = _auditDirectory,
        };
        if (!districtRoute)
        {
            keys.Remove("Gateway:Districts:lisakovsk:Destinations:0");
            keys["Gateway:Districts:lisakovsk:Destinations"] = "";
        }

        return keys;
    }

    [Fact]
    public async Task A_reload_that_removes_a_route_closes_that_users_session_and_leaves_the_other_center_playing()
    {
        IReadOnlyList<AuditRecord> audit;
        await using (var gateway = await StartGatewayAsync())
        {
            var ropHub = gateway.Host.Registry.Resolve("school-3/gate")!;
            var couHub = gateway.Host.Registry.Resolve("school-12/entrance")!;
            var ropViewer = Ffmpeg.CountFramesAsync(WithUser(gateway.Url("school-3/gate"), RopUser, RopPassword), "tcp", 30, Timeout);
            var couViewer = Ffmpeg.CountFramesAsync(WithUser(gateway.Url("school-12/entrance"), CouUser, CouPassword), "tcp", 8, Timeout);
            await RelayThroughGatewayTests.WaitUntilAsync(
                () => ropHub.GetStats().Subscribers >= 1 && couHub.GetStats().Subscribers >= 1,
                TimeSpan.FromSeconds(20),
                () => "both viewers never played");
            var report = gateway.Host.GetStatusReport();
            var metrics = StreamGateway.Hosting.PrometheusExporter.Write(report);
            Assert.Equal(
                [("kostanay-cou", 1, 1), ("lisakovsk-rop", 1, 1)],
                report.Destinations!.Select(d => (d.Id, d.Schools, d.PullViewers)));
            Assert.Contains("streamgateway_destination_pull_viewers{destination=\"lisakovsk-rop\"} 1\n", metrics, StringComparison.Ordinal);
            var clock = Stopwatch.StartNew();

            await gateway.Host.ApplyAsync(gateway.LoadConfig(Cameras, Keys(districtRoute: false)));

            // The revoked viewer is cut off now (ffmpeg asked for 30 s); the other center's viewer plays its 8 s to the end.
            var ropEnded = await Task.WhenAny(ropViewer, Task.Delay(TimeSpan.FromSeconds(15))) == ropViewer;
            var ropSeconds = clock.Elapsed.TotalSeconds;
            var cou = await couViewer;
            var again = await Ffprobe.TryProbeAsync(WithUser(gateway.Url("school-3/gate"), RopUser, RopPassword), "tcp", Timeout);
            output.WriteLine($"revoked viewer ended {ropSeconds:0.0} s after the reload; other center decoded {cou.VideoFrames} frames; re-probe: {again.Process.ErrorTail(1)}");

            Assert.True(ropEnded, "the revoked viewer kept playing");
            Assert.True(cou.VideoFrames >= 150, $"the other center's viewer decoded {cou.VideoFrames} frames in 8 s");
            Assert.False(again.Success);
            Assert.Contains("404", again.Process.ErrorText, StringComparison.Ordinal);
            audit = await AuditTrail.WaitForAsync(_auditDirectory, r => r.Count >= 2);
        }

        Assert.Equal("access revoked", Assert.Single(audit, r => r.User == RopUser).Ended);
        Assert.NotEqual("access revoked", Assert.Single(audit, r => r.User == CouUser).Ended);
        Assert.True(AuditFiles.Verify(_auditDirectory).IsValid);
    }

    private static string WithUser(string url, string user, string password) =>
        url.Replace("rtsp://", $"rtsp://{Uri.EscapeDataString(user)}:{Uri.EscapeDataString(password)}@", StringComparison.Ordinal);

    [Fact]
    public async Task Ffprobe_reads_its_centers_school_and_gets_404_for_another_and_401_without_the_right_password()
    {
        IReadOnlyList<AuditRecord> audit;
        string logs;
        await using (var gateway = await StartGatewayAsync())
        {
            var routed = await Ffprobe.TryProbeAsync(WithUser(gateway.Url("school-3/gate"), RopUser, RopPassword), "tcp", Timeout);
            var otherCenter = await Ffprobe.TryProbeAsync(WithUser(gateway.Url("school-12/entrance"), RopUser, RopPassword), "tcp", Timeout);
            var missing = await Ffprobe.TryProbeAsync(WithUser(gateway.Url("school-99/none"), RopUser, RopPassword), "tcp", Timeout);
            var anonymous = await Ffprobe.TryProbeAsync(gateway.Url("school-3/gate"), "tcp", Timeout);
            var wrongPassword = await Ffprobe.TryProbeAsync(WithUser(gateway.Url("school-3/gate"), RopUser, "not-the-password"), "tcp", Timeout);
            var otherUser = await Ffprobe.TryProbeAsync(WithUser(gateway.Url("school-12/entrance"), CouUser, CouPassword), "tcp", Timeout);

            output.WriteLine($"routed: {routed.Success}; other center: {otherCenter.Process.ErrorTail(2)}; missing: {missing.Process.ErrorTail(2)}; anonymous: {anonymous.Process.ErrorTail(2)}; wrong password: {wrongPassword.Process.ErrorTail(2)}");
            Assert.True(routed.Success, routed.Process.ErrorTail());
            Assert.Equal("h264", Assert.Single(routed.Streams).CodecName);
            Assert.True(otherUser.Success, otherUser.Process.ErrorTail());

            // A school of another center answers exactly like a path that does not exist.
            Assert.False(otherCenter.Success);
            Assert.Contains("404", otherCenter.Process.ErrorText, StringComparison.Ordinal);
            Assert.Equal(Describe(missing), Describe(otherCenter));
            Assert.False(anonymous.Success);
            Assert.Contains("401", anonymous.Process.ErrorText, StringComparison.Ordinal);
            Assert.False(wrongPassword.Success);
            Assert.Contains("401", wrongPassword.Process.ErrorText, StringComparison.Ordinal);

            audit = await AuditTrail.WaitForAsync(_auditDirectory, r => r.Count >= 2);
            logs = gateway.Logs.AllText;
        }

        Assert.DoesNotContain(RopPassword, logs, StringComparison.Ordinal);
        Assert.DoesNotContain(CouPassword, logs, StringComparison.Ordinal);
        Assert.Contains("[422]", logs, StringComparison.Ordinal); // the 404 by route is logged with the user

        var rop = Assert.Single(audit, r => r.User == RopUser);
        Assert.Equal(("view", "lisakovsk-rop", "school-3", "gate"), (rop.Kind, rop.Destination, rop.School, rop.Camera));
        Assert.True(rop.Bytes > 0, $"bytes {rop.Bytes}");
        Assert.True(rop.End >= rop.Start);
        Assert.StartsWith("127.0.0.1:", rop.Client, StringComparison.Ordinal);
        var cou = Assert.Single(audit, r => r.User == CouUser);
        Assert.Equal(("kostanay-cou", "school-12"), (cou.Destination, cou.School));

        var verified = AuditFiles.Verify(_auditDirectory);
        Assert.True(verified.IsValid, verified.Problem);
        var auditText = string.Join("\n", AuditFiles.List(_auditDirectory).Select(File.ReadAllText));
        Assert.DoesNotContain(RopPassword, auditText, StringComparison.Ordinal);
        output.WriteLine($"audit: {verified.ValidLines} lines verified; {string.Join("; ", audit.Select(r => $"{r.User} {r.School}/{r.Camera} {r.Bytes} B {r.Ended}"))}");
    }

    [Fact]
    public async Task GStreamer_rtspsrc_authenticates_with_Digest_and_plays()
    {
        await using var gateway = await StartGatewayAsync();

        var played = await GstViewer.RunAsync(gateway.Url("school-3/gate"), "tcp", 2, Timeout, RopUser, RopPassword);
        var refused = await GstViewer.RunAsync(gateway.Url("school-3/gate"), "tcp", 1, Timeout, RopUser, "wrong");

        output.WriteLine($"played {played.VideoFrames} frames ({string.Join("; ", played.Errors)}); refused: {string.Join("; ", refused.Errors)}");
        Assert.True(played.VideoFrames > 10, $"{played.VideoFrames} frames; {string.Join("; ", played.Errors)}");
        Assert.Equal("H264", played.VideoEncoding);
        Assert.Equal(0, refused.VideoFrames);
        Assert.NotEmpty(refused.Errors);
        Assert.DoesNotContain(RopPassword, gateway.Logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Basic_works_only_for_a_destination_that_allows_it()
    {
        await using var gateway = await StartGatewayAsync(allowBasic: true);
        var url = gateway.Url("school-3/gate");
        var basic = (string user, string password) => "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{user}:{password}"));

        var challenge = await RawRtsp.ExchangeAsync(url, $"DESCRIBE {url} RTSP/1.0\r\nCSeq: 1\r\n\r\n");
        var rop = await RawRtsp.ExchangeAsync(url, $"DESCRIBE {url} RTSP/1.0\r\nCSeq: 2\r\nAuthorization: {basic(RopUser, RopPassword)}\r\n\r\n");
        var cou = await RawRtsp.ExchangeAsync(url, $"DESCRIBE {gateway.Url("school-12/entrance")} RTSP/1.0\r\nCSeq: 3\r\nAuthorization: {basic(CouUser, CouPassword)}\r\n\r\n");

        Assert.StartsWith("RTSP/1.0 401", challenge, StringComparison.Ordinal);
        Assert.Contains("WWW-Authenticate: Digest realm=\"StreamGateway\"", challenge, StringComparison.Ordinal);
        Assert.Contains("WWW-Authenticate: Basic realm=\"StreamGateway\"", challenge, StringComparison.Ordinal);
        Assert.StartsWith("RTSP/1.0 200", rop, StringComparison.Ordinal);
        Assert.StartsWith("RTSP/1.0 401", cou, StringComparison.Ordinal);
    }

    private static string Describe(ProbeResult probe) =>
        probe.Process.ErrorText.Contains("404", StringComparison.Ordinal) ? "404" : probe.Process.ErrorTail(1);

    private sealed class AnyPath(StreamHub hub) : IStreamResolver
    {
        public StreamHub? Resolve(string path) => hub;
    }
}
