using System.Diagnostics;
using StreamGateway.Audit;
using StreamGateway.Configuration;
using StreamGateway.IntegrationTests.Gateway;
using StreamGateway.IntegrationTests.Infrastructure;
using StreamGateway.IntegrationTests.Publish;
using Xunit.Abstractions;

namespace StreamGateway.IntegrationTests.Push;

/// <summary>
/// Push routes from the config, end to end: a whole gateway in-process whose school is routed (by a live reload)
/// to an operations center that takes its streams by push into GStreamer's RTSP server in record mode.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class PushRoutesThroughGatewayTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string PushUser = "gw";
    private const string PushPassword = "Push-Secret-9c41e2";
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(30);

    private readonly string _auditDirectory = Path.Combine(Path.GetTempPath(), "sg-push-audit-" + Guid.NewGuid().ToString("N"));
    private ServedReplay? _camera;

    public async Task InitializeAsync() => _camera = await ServedReplay.StartAsync();

    public async Task DisposeAsync()
    {
        await _camera!.DisposeAsync();
        if (Directory.Exists(_auditDirectory))
        {
            Directory.Delete(_auditDirectory, recursive: true);
        }
    }

    private string CameraUrl => _camera!.Url();

    private (string Path, string Source, string Transport)[] Cameras => [("school-12/entrance", CameraUrl, "tcp")];

    [Fact]
    public async Task Routing_a_school_to_a_push_center_by_reload_starts_its_push_and_leaves_the_running_viewer_alone()
    {
        var folder = Directory.CreateTempSubdirectory("push-routes-");
        await using var server = await RecordServer.StartAsync(["cou/school-12/entrance"], folder.FullName, new PublishAuth("digest", PushUser, PushPassword));
        var before = Keys(server, pushRouted: false);
        IReadOnlyList<AuditRecord> audit;
        string logs;
        await using (var gateway = await GatewayUnderTest.StartAsync(Cameras, before))
        {
            var hub = gateway.Host.Registry.Resolve("school-12/entrance")!;
            Assert.Empty(gateway.Host.GetStatusReport().Pushes ?? []);
            var viewer = Ffmpeg.CountFramesAsync(gateway.Url("school-12/entrance"), "tcp", 8, EventTimeout);
            await RelayThroughGatewayTests.WaitUntilAsync(() => hub.GetStats().Subscribers >= 1, TimeSpan.FromSeconds(20), () => "the viewer never played");

            var clock = Stopwatch.StartNew();
            await gateway.Host.ApplyAsync(gateway.LoadConfig(Cameras, Keys(server, pushRouted: true)));

            Assert.Equal("FIRST cou/school-12/entrance key", await server.WaitForEventAsync(e => e.StartsWith("FIRST ", StringComparison.Ordinal), EventTimeout));
            var firstFrameSeconds = clock.Elapsed.TotalSeconds;
            await server.WaitForEventAsync(e => e == "FRAMES cou/school-12/entrance 50", EventTimeout);
            var push = Assert.Single(gateway.Host.GetStatusReport().Pushes!);
            var metrics = StreamGateway.Hosting.PrometheusExporter.Write(gateway.Host.GetStatusReport());
            var frames = await viewer;
            output.WriteLine($"push's first keyframe at the center {firstFrameSeconds:0.00} s after the reload; viewer decoded {frames.VideoFrames} frames in 8 s; {push}");

            Assert.Equal(("kostanay-cou", "school-12/entrance", "recording"), (push.Destination, push.Camera, push.State));
            Assert.Equal(server.Url("cou/school-12/entrance"), push.Url);
            Assert.Contains("streamgateway_push_recording{destination=\"kostanay-cou\",camera=\"school-12/entrance\"} 1\n", metrics, StringComparison.Ordinal);
            Assert.True(frames.VideoFrames >= 150, $"the viewer decoded only {frames.VideoFrames} frames in 8 s across the reload");
            Assert.Equal(1, _camera!.Camera.Hub.GetStats().Subscribers); // the push reads the gateway's hub: no second pull

            // Un-routing stops the push (the center sees the session end) and the audit trail keeps it.
            await gateway.Host.ApplyAsync(gateway.LoadConfig(Cameras, before));
            await server.WaitForEventAsync(e => e.StartsWith("CLOSED ", StringComparison.Ordinal), EventTimeout);
            Assert.Empty(gateway.Host.GetStatusReport().Pushes!);
            audit = await AuditTrail.WaitForAsync(_auditDirectory, records => records.Any(r => r.Kind == AuditEntry.PushKind));
            logs = gateway.Logs.AllText;
        }

        var line = Assert.Single(audit, r => r.Kind == AuditEntry.PushKind);
        Assert.Equal(("kostanay-cou", PushUser, "school-12", "entrance"), (line.Destination, line.User, line.School, line.Camera));
        Assert.Equal($"127.0.0.1:{server.Port}", line.Client);
        Assert.True(line.Bytes > 10_000 && line.End > line.Start, line.ToString());
        Assert.True(AuditFiles.Verify(_auditDirectory).IsValid);
        Assert.DoesNotContain(PushPassword, logs, StringComparison.Ordinal);
        Assert.DoesNotContain(PushPassword, string.Join("\n", AuditFiles.List(_auditDirectory).Select(File.ReadAllText)), StringComparison.Ordinal);
    }

    private Dictionary<string, string?> Keys(RecordServer server, bool pushRouted)
    {
        var keys = new Dictionary<string, string?>
        {
            ["Gateway:Schools:school-12:Destinations:0"] = "lisakovsk-rop",
            ["Gateway:Destinations:lisakovsk-rop:Name"] = "Lisakovsk district police department",
            ["Gateway:Destinations:kostanay-cou:Name"] = "Kostanay regional operations center",
            ["Gateway:Destinations:kostanay-cou:Push:Url"] = server.Url("cou") + "/{school}/{camera}",
            ["Gateway:Destinations:kostanay-cou:Push:Username"] = PushUser,
            ["Gateway:Destinations:kostanay-cou:Push:Password"] = PushPassword,
            ["Gateway:Audit:Path"] = _auditDirectory,
        };
        if (pushRouted)
        {
            keys["Gateway:Schools:school-12:Destinations:1"] = "kostanay-cou";
        }

        return keys;
    }
}
