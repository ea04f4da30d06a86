using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using StreamGateway.Demo;
using StreamGateway.IntegrationTests.Infrastructure;
using StreamGateway.Publish;
using StreamGateway.Relay;

namespace StreamGateway.IntegrationTests.Publish;

/// <summary>
/// A replay camera on the repository's demo clip, served by a real <see cref="RtspServer"/> on
/// 127.0.0.1 with an ephemeral port. Extra hubs (for example one without tracks) can be published too.
/// </summary>
internal sealed class ServedReplay : IAsyncDisposable, IStreamResolver
{
    public const string CameraPath = "school-1/replay";

    private readonly ConcurrentDictionary<string, StreamHub> _hubs = new(StringComparer.Ordinal);
    private readonly ILoggerFactory _loggerFactory;

    private ServedReplay(ReplayCamera camera, ILoggerFactory loggerFactory, PublishLogs logs)
    {
        Camera = camera;
        _loggerFactory = loggerFactory;
        Logs = logs;
        _hubs[CameraPath] = camera.Hub;
    }

    public ReplayCamera Camera { get; }

    public RtspServer Server { get; private set; } = null!;

    public PublishLogs Logs { get; }

    public string Url(string path = CameraPath) => $"rtsp://127.0.0.1:{Server.LocalEndPoint.Port}/{path}";

    public static string ClipPath => Path.Combine(RepositoryPaths.Root, "src", "StreamGateway", "demo", "clip.h264");

    public static async Task<ServedReplay> StartAsync(RtspServerOptions? options = null, IReadOnlyDictionary<string, StreamHub>? extraHubs = null)
    {
        var logs = new PublishLogs();
        var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        var camera = ReplayCamera.FromAnnexBFile(ClipPath, CameraPath, loggerFactory: loggerFactory);
        var served = new ServedReplay(camera, loggerFactory, logs);
        foreach (var (path, hub) in extraHubs ?? new Dictionary<string, StreamHub>())
        {
            served._hubs[path] = hub;
        }

        await camera.StartAsync(CancellationToken.None);
        served.Server = new RtspServer(
            (options ?? new RtspServerOptions()) with { BindAddress = IPAddress.Loopback, Port = 0 },
            served,
            loggerFactory);
        await served.Server.StartAsync(CancellationToken.None);
        return served;
    }

    public StreamHub? Resolve(string path) => _hubs.TryGetValue(path, out var hub) ? hub : null;

    public async ValueTask DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        await Camera.DisposeAsync();
        _loggerFactory.Dispose();
    }
}

/// <summary>Keeps every formatted log line so tests can check what the server reported.</summary>
internal sealed class PublishLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<(int EventId, string Text)> _lines = new();

    public IReadOnlyCollection<(int EventId, string Text)> Lines => _lines;

    public ILogger CreateLogger(string categoryName) => new Logger(_lines);

    public void Dispose()
    {
    }

    private sealed class Logger(ConcurrentQueue<(int, string)> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue((eventId.Id, formatter(state, exception)));
    }
}
