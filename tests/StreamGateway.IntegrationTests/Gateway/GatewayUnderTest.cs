using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using StreamGateway.Configuration;
using StreamGateway.Hosting;
using StreamGateway.Relay;

namespace StreamGateway.IntegrationTests.Gateway;

/// <summary>
/// A real gateway in the test process: config through the same loader as the program, real sockets
/// on 127.0.0.1 with ephemeral ports, and every log line kept so tests can check for secrets.
/// </summary>
internal sealed class GatewayUnderTest : IAsyncDisposable
{
    private readonly ILoggerFactory _loggerFactory;
    private IDisposable? _watcher;
    private string? _ownedRecordingPath;

    private GatewayUnderTest(GatewayHost host, ILoggerFactory loggerFactory, CapturedLogs logs, RelayPacketPool pool)
    {
        Pool = pool;
        Host = host;
        _loggerFactory = loggerFactory;
        Logs = logs;
    }

    public GatewayHost Host { get; }

    public CapturedLogs Logs { get; }

    /// <summary>The gateway's own packet pool: after disposal, <c>Pool.Outstanding</c> must be 0 (no leaked buffer).</summary>
    public RelayPacketPool Pool { get; }

    public string Url(string path) => Host.LocalUrl(path);

    /// <summary>Starts a gateway on the given cameras: path "school/camera" → (source, transport, extra keys).</summary>
    public static Task<GatewayUnderTest> StartAsync(IEnumerable<(string Path, string Source, string Transport)> cameras, IDictionary<string, string?>? extra = null, bool waitForCameras = true)
    {
        string? ownedRecordingPath = null;
        if (extra is null || !extra.ContainsKey("Gateway:Recording:Path"))
        {
            ownedRecordingPath = Directory.CreateTempSubdirectory("sg-archive-").FullName;
        }

        return StartOwningArchiveAsync(Load(cameras, extra, ownedRecordingPath), waitForCameras, ownedRecordingPath);
    }

    /// <summary>
    /// The config a reload brings: the same test defaults as <see cref="StartAsync(IEnumerable{ValueTuple{string, string, string}}, IDictionary{string, string?}?, bool)"/>
    /// (loopback listeners, recording off and into this gateway's temp archive), through the program's loader.
    /// </summary>
    public GatewayConfig LoadConfig(IEnumerable<(string Path, string Source, string Transport)> cameras, IDictionary<string, string?>? extra = null)
    {
        var loaded = Load(cameras, extra, _ownedRecordingPath);
        Assert.True(loaded.Success, "test config invalid: " + string.Join("; ", loaded.Errors));
        return loaded.Config!;
    }

    private static ConfigLoadResult Load(IEnumerable<(string Path, string Source, string Transport)> cameras, IDictionary<string, string?>? extra, string? recordingPath)
    {
        var values = new Dictionary<string, string?>
        {
            ["Gateway:Rtsp:Port"] = "0",
            ["Gateway:Rtsp:BindAddress"] = "127.0.0.1",
            ["Gateway:Http:Port"] = "0",
            ["Gateway:Http:BindAddress"] = "127.0.0.1",
        };

        // Recording is on by default in the product; here it is off unless a test turns it on (tests count
        // viewers, and a recorder is one more subscriber), and any archive goes to a temp dir, never the repo.
        values["Gateway:Recording:Enabled"] = "false";
        if (recordingPath is not null)
        {
            values["Gateway:Recording:Path"] = recordingPath;
        }

        foreach (var (path, source, transport) in cameras)
        {
            var (school, camera) = Split(path);
            values[$"Gateway:Schools:{school}:Name"] = $"Test school {school}";
            values[$"Gateway:Schools:{school}:Cameras:{camera}:Source"] = source;
            values[$"Gateway:Schools:{school}:Cameras:{camera}:Transport"] = transport;
        }

        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        return GatewayConfigLoader.Load(new ConfigurationBuilder().AddInMemoryCollection(values).Build(), "test");
    }

    private static async Task<GatewayUnderTest> StartOwningArchiveAsync(ConfigLoadResult loaded, bool waitForCameras, string? ownedRecordingPath)
    {
        try
        {
            var gateway = await StartAsync(loaded, waitForCameras);
            gateway._ownedRecordingPath = ownedRecordingPath;
            return gateway;
        }
        catch
        {
            DeleteArchive(ownedRecordingPath);
            throw;
        }
    }

    private static void DeleteArchive(string? path)
    {
        if (path is not null && Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }

    /// <summary>Starts from a config file and watches it, as the program does.</summary>
    public static async Task<GatewayUnderTest> StartFromFileAsync(string path)
    {
        var gateway = await StartAsync(GatewayConfigLoader.Load(path));
        gateway._watcher = gateway.Host.WatchConfigFile(path);
        return gateway;
    }

    public static async Task<GatewayUnderTest> StartAsync(ConfigLoadResult loaded, bool waitForCameras = true)
    {
        Assert.True(loaded.Success, "test config invalid: " + string.Join("; ", loaded.Errors));
        var logs = new CapturedLogs();
        var loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        var pool = new RelayPacketPool();
        var host = new GatewayHost(loaded.Config!, loggerFactory, pool: pool);
        await host.StartAsync(CancellationToken.None);
        var gateway = new GatewayUnderTest(host, loggerFactory, logs, pool);
        if (waitForCameras)
        {
            await gateway.WaitUntilStreamingAsync(TimeSpan.FromSeconds(30));
        }

        return gateway;
    }

    /// <summary>
    /// Waits until every always-on camera streams, so a test measures the relay rather than the
    /// camera's start-up (GStreamer builds its pipeline on the first DESCRIBE).
    /// </summary>
    public Task WaitUntilStreamingAsync(TimeSpan timeout) =>
        RelayThroughGatewayTests.WaitUntilAsync(
            () => Host.GetStatus().All(c => c.State == "Streaming" || Host.Config.Schools.SelectMany(s => s.Cameras).Any(k => k.Path == c.Path && k.OnDemand)),
            timeout,
            () => "cameras not streaming: " + string.Join("; ", Host.GetStatus().Where(c => c.State != "Streaming").Select(c => $"{c.Path} {c.State} {c.LastError}")));

    private static (string School, string Camera) Split(string path)
    {
        var slash = path.IndexOf('/', StringComparison.Ordinal);
        return (path[..slash], path[(slash + 1)..]);
    }

    public async ValueTask DisposeAsync()
    {
        _watcher?.Dispose();
        await Host.DisposeAsync();
        DeleteArchive(_ownedRecordingPath);

        // Every end-to-end test doubles as a leak check: each rented packet went back to the pool.
        Assert.Equal(0, Pool.Outstanding);
        _loggerFactory.Dispose();
    }
}

/// <summary>Keeps every formatted log line (with exception text) of a test's gateway.</summary>
internal sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public string AllText => string.Join(Environment.NewLine, _lines);

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lines.Enqueue($"{logLevel} {category}[{eventId.Id}] {formatter(state, exception)} {exception}");
        }
    }
}
