using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using StreamGateway.Publish;
using StreamGateway.Relay;

namespace StreamGateway.Demo;

/// <summary>
/// The built-in demo: simulated cameras replaying the clip the repository ships, served by a
/// private RTSP server on loopback, and a gateway config that pulls them like real cameras. So the
/// demo exercises the whole path (RTSP client, relay, RTSP server), not a shortcut.
/// </summary>
internal sealed class DemoCameras : IAsyncDisposable, IStreamResolver
{
    public const string SchoolId = "demo-school";
    private static readonly string[] CameraNames = ["cam1", "cam2"];

    private readonly List<ReplayCamera> _cameras = [];
    private readonly CancellationTokenSource _stop = new();
    private RtspServer? _server;

    public static string ClipPath => Path.Combine(AppContext.BaseDirectory, "demo", "clip.h264");

    public StreamHub? Resolve(string path) => _cameras.FirstOrDefault(c => c.Hub.Path == path)?.Hub;

    public async Task StartAsync(ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        foreach (var name in CameraNames)
        {
            var camera = ReplayCamera.FromAnnexBFile(ClipPath, name, loggerFactory: loggerFactory);
            _cameras.Add(camera);
            await camera.StartAsync(_stop.Token).ConfigureAwait(false);
        }

        _server = new RtspServer(
            new RtspServerOptions { BindAddress = IPAddress.Loopback, Port = 0, ServerName = "StreamGateway demo camera" },
            this,
            loggerFactory);
        await _server.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The demo's gateway config: the simulated cameras as school cameras (one over TCP, one over
    /// UDP). Environment variables override any key, as with a config file.
    /// </summary>
    public IConfiguration BuildConfiguration()
    {
        var port = _server?.LocalEndPoint.Port ?? throw new InvalidOperationException("demo cameras not started");
        var values = new Dictionary<string, string?>
        {
            ["Gateway:Schools:demo-school:Name"] = "Demo school (simulated cameras)",
            ["Gateway:Schools:demo-school:District"] = "demo",
            ["Gateway:Schools:demo-school:Cameras:cam1:Source"] = $"rtsp://127.0.0.1:{port}/cam1",
            ["Gateway:Schools:demo-school:Cameras:cam1:Transport"] = "tcp",
            ["Gateway:Schools:demo-school:Cameras:cam2:Source"] = $"rtsp://127.0.0.1:{port}/cam2",
            ["Gateway:Schools:demo-school:Cameras:cam2:Transport"] = "udp",
        };
        return new ConfigurationBuilder().AddInMemoryCollection(values).AddEnvironmentVariables().Build();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var camera in _cameras)
        {
            await camera.DisposeAsync().ConfigureAwait(false);
        }

        _stop.Dispose();
    }
}
