using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using StreamGateway.Audit;
using StreamGateway.Configuration;
using StreamGateway.Ingest;
using StreamGateway.Publish;
using StreamGateway.Publish.Access;
using StreamGateway.Recording;
using StreamGateway.Relay;

namespace StreamGateway.Hosting;

/// <summary>
/// Composes the gateway from a validated config: one hub per camera, one connector per school, the
/// RTSP server that re-publishes every hub, and the HTTP status endpoint. <see cref="ApplyAsync"/>
/// moves a running gateway to a new config touching only the cameras that changed.
/// </summary>
internal sealed class GatewayHost : IAsyncDisposable
{
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly StreamRegistry _registry = new();
    // Changed by config applies while HTTP status threads read it.
    private readonly ConcurrentDictionary<string, SchoolConnector> _schools = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _applyGate = new(1, 1);
    private readonly RelayOptions _relayOptions;
    private readonly RelayPacketPool _pool;
    private readonly PullAccessPolicy _access;
    private readonly RecordingManager _recordings;
    private RtspServer? _rtspServer;
    private HttpStatusServer? _httpServer;
    private AuditLog? _audit;
    private readonly PushSupervisor _pushes;
    private ArchiveSupervisor? _archive;

    /// <param name="pool">Where every hub rents its packets; tests pass their own to check for leaks.</param>
    public GatewayHost(GatewayConfig config, ILoggerFactory loggerFactory, TimeProvider? time = null, RelayOptions? relayOptions = null, RelayPacketPool? pool = null)
    {
        _pool = pool ?? RelayPacketPool.Shared;
        Config = config;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<GatewayHost>();
        _time = time ?? TimeProvider.System;
        _relayOptions = relayOptions ?? config.Relay.ToRelayOptions();
        _recordings = new RecordingManager(loggerFactory, _time);
        _pushes = new PushSupervisor(loggerFactory, _time, () => _audit);
        _access = new PullAccessPolicy(BuildAccessRules(config), _time);
    }

    /// <summary>Retention and the compliance report of the archive; null until started.</summary>
    internal ArchiveSupervisor? Archive => _archive;

    /// <summary>The audit trail, when enabled (<see cref="AuditConfig.Enabled"/>); the push side records its sessions here too.</summary>
    public AuditLog? Audit => _audit;

    /// <summary>The pull access rules in force.</summary>
    internal PullAccessRules AccessRules => _access.Rules;

    /// <summary>Viewer accounts from the config: each user sees the schools routed to its destination.</summary>
    internal static PullAccessRules BuildAccessRules(GatewayConfig config)
    {
        var users = new List<PullUser>();
        foreach (var destination in config.Destinations)
        {
            if (destination.Pull is not { } pull)
            {
                continue;
            }

            var schools = config.SchoolsOf(destination.Id);
            users.AddRange(pull.Users.Select(u => new PullUser(u.Name, destination.Id, u.Ha1, pull.AllowBasic, schools)));
        }

        return new PullAccessRules(users);
    }

    /// <summary>The config in force (the last one applied successfully).</summary>
    public GatewayConfig Config { get; private set; }

    public IPEndPoint RtspEndPoint => _rtspServer?.LocalEndPoint ?? throw new InvalidOperationException("not started");

    public IPEndPoint? HttpEndPoint => _httpServer?.LocalEndPoint;

    public StreamRegistry Registry => _registry;

    /// <summary>The URL a viewer on this machine uses for a path.</summary>
    public string LocalUrl(string path) => $"rtsp://127.0.0.1:{RtspEndPoint.Port}/{path}";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var camera in Config.Schools.SelectMany(s => s.Cameras))
        {
            await StartCameraAsync(camera, hub: null).ConfigureAwait(false);
        }

        if (Config.Audit.Enabled)
        {
            _audit = AuditLog.Open(Config.Audit.Path, _loggerFactory);
            HostLog.AuditEnabled(_logger, _audit.Directory);
        }

        await _pushes.ApplyAsync(Config.PushRoutes(), _registry.Resolve).ConfigureAwait(false);
        await _recordings.SyncAsync(RecordingWiring.Wanted(Config, _registry)).ConfigureAwait(false);
        _archive = new ArchiveSupervisor(() => Config, _loggerFactory, _time);
        await _archive.ApplyAsync(Config.Recording).ConfigureAwait(false);

        _rtspServer = new RtspServer(
            new RtspServerOptions
            {
                BindAddress = IPAddress.Parse(Config.RtspBindAddress),
                Port = Config.RtspPort,
                MaxConnections = Config.RtspMaxConnections,
                MaxConnectionsPerClientAddress = Config.RtspMaxConnectionsPerClientAddress,
            },
            _registry,
            _loggerFactory);
        _rtspServer.AccessPolicy = _access;
        _rtspServer.SessionEnded += OnViewingEnded;
        await _rtspServer.StartAsync(cancellationToken).ConfigureAwait(false);
        WarnIfOpen();
        HostLog.RtspListening(_logger, _rtspServer.LocalEndPoint.ToString());

        if (Config.HttpPort >= 0)
        {
            _httpServer = new HttpStatusServer(this, _loggerFactory);
            await _httpServer.StartAsync(IPAddress.Parse(Config.HttpBindAddress), Config.HttpPort, cancellationToken).ConfigureAwait(false);
            HostLog.HttpListening(_logger, _httpServer.LocalEndPoint.ToString());
        }

        foreach (var camera in Config.Schools.SelectMany(s => s.Cameras))
        {
            HostLog.Publishing(_logger, camera.Path, $"rtsp://<gateway>:{RtspEndPoint.Port}/{camera.Path}");
        }
    }

    /// <summary>Raised after each reload attempt from a watched file: true when applied, false when rejected.</summary>
    public event Action<bool>? ReloadCompleted;

    /// <summary>
    /// Watches the config file: a valid edit is applied, a bad one is logged with every error and
    /// the last good config stays in force.
    /// </summary>
    public IDisposable WatchConfigFile(string path) => new ConfigFileWatcher(
        path,
        () => GatewayConfigLoader.Load(path),
        next => _ = ApplyFromWatcherAsync(next),
        errors =>
        {
            HostLog.ConfigRejected(_logger, string.Join(Environment.NewLine, errors));
            ReloadCompleted?.Invoke(false);
        },
        TimeSpan.FromMilliseconds(300));

    private async Task ApplyFromWatcherAsync(GatewayConfig next)
    {
        try
        {
            await ApplyAsync(next).ConfigureAwait(false);
            ReloadCompleted?.Invoke(true);
        }
        catch (Exception ex)
        {
            HostLog.ReloadFailed(_logger, ex);
            ReloadCompleted?.Invoke(false);
        }
    }

    /// <summary>
    /// Moves to <paramref name="next"/>: added cameras start, removed ones stop (their viewers are
    /// closed), changed ones restart on the same hub (viewers stay if the media is the same), and
    /// everything else is left alone.
    /// </summary>
    public async Task ApplyAsync(GatewayConfig next)
    {
        await _applyGate.WaitAsync().ConfigureAwait(false);
        try
        {
            var diff = ConfigDiff.Compute(Config, next);
            if (diff.ListenersChanged)
            {
                HostLog.ListenerChangeNeedsRestart(_logger);
            }

            if (diff.RelayChanged)
            {
                HostLog.RelayChangeNeedsRestart(_logger);
            }

            foreach (var removed in diff.Removed)
            {
                await StopCameraAsync(removed).ConfigureAwait(false);
            }

            foreach (var changed in diff.Changed)
            {
                var hub = _registry.Resolve(changed.Path);
                await StartCameraAsync(changed, hub).ConfigureAwait(false);
            }

            foreach (var added in diff.Added)
            {
                await StartCameraAsync(added, hub: null).ConfigureAwait(false);
            }

            var hadUsers = Config.HasPullUsers;
            _access.Update(BuildAccessRules(next));
            Config = next;
            if (hadUsers && !next.HasPullUsers)
            {
                WarnIfOpen();
            }

            if (_rtspServer is not null)
            {
                // New requests already see the new rules; running sessions of viewers who lost access end now.
                var revoked = await _rtspServer.RevokeDisallowedSessionsAsync().ConfigureAwait(false);
                if (revoked > 0)
                {
                    HostLog.SessionsRevoked(_logger, revoked);
                }
            }

            if (_audit is null && next.Audit.Enabled && _rtspServer is not null)
            {
                _audit = AuditLog.Open(next.Audit.Path, _loggerFactory);
                HostLog.AuditEnabled(_logger, _audit.Directory);
            }

            // Pushes whose camera hub and target did not change keep running untouched.
            await _pushes.ApplyAsync(next.PushRoutes(), _registry.Resolve).ConfigureAwait(false);
            await _recordings.SyncAsync(RecordingWiring.Wanted(next, _registry)).ConfigureAwait(false);
            if (_archive is not null)
            {
                await _archive.ApplyAsync(next.Recording).ConfigureAwait(false);
            }

            HostLog.ConfigApplied(_logger, diff.Added.Count, diff.Removed.Count, diff.Changed.Count, diff.Unchanged);
        }
        finally
        {
            _applyGate.Release();
        }
    }

    private void WarnIfOpen()
    {
        if (!_access.Rules.RequiresAuthentication)
        {
            HostLog.NoPullUsers(_logger);
        }
    }

    private void OnViewingEnded(ViewingSessionSummary session)
    {
        var slash = session.Path.IndexOf('/', StringComparison.Ordinal);
        _audit?.Record(new AuditEntry
        {
            Kind = AuditEntry.ViewKind,
            User = session.Viewer.User,
            Destination = session.Viewer.Destination,
            Client = session.Client.ToString(),
            School = slash < 0 ? session.Path : session.Path[..slash],
            Camera = slash < 0 ? string.Empty : session.Path[(slash + 1)..],
            Start = session.Started,
            End = session.Ended,
            Bytes = session.Bytes,
            Ended = session.EndReason == "connection closed" ? "client closed" : session.EndReason,
        });
    }

    private async Task StartCameraAsync(CameraConfig camera, StreamHub? hub)
    {
        if (hub is null)
        {
            hub = new StreamHub(camera.Path, _relayOptions, _pool);
            _registry.Add(hub);
        }

        if (!_schools.TryGetValue(camera.SchoolId, out var school))
        {
            school = new SchoolConnector(camera.SchoolId, _loggerFactory, _time);
            _schools[camera.SchoolId] = school;
        }

        await school.StartCameraAsync(ToSourceOptions(camera), hub).ConfigureAwait(false);
    }

    private async Task StopCameraAsync(CameraConfig camera)
    {
        if (_schools.TryGetValue(camera.SchoolId, out var school))
        {
            await school.StopCameraAsync(camera.Path).ConfigureAwait(false);
            if (school.CameraCount == 0)
            {
                _schools.TryRemove(camera.SchoolId, out _);
                await school.DisposeAsync().ConfigureAwait(false);
            }
        }

        await _recordings.StopAsync(camera.Path, RecordingEvents.CauseCameraRemoved).ConfigureAwait(false);
        _registry.Remove(camera.Path)?.Dispose();
    }

    internal static CameraSourceOptions ToSourceOptions(CameraConfig camera) => new()
    {
        Path = camera.Path,
        Source = new Uri(camera.Source),
        Username = camera.Username,
        Password = camera.Password,
        OnDemand = camera.OnDemand,
        Reconnect = new ReconnectPolicy
        {
            FastRetryInterval = camera.Reconnect.FastRetryInterval,
            FastRetryWindow = camera.Reconnect.FastRetryWindow,
            MaxDelay = camera.Reconnect.MaxDelay,
            AttemptTimeout = camera.Reconnect.AttemptTimeout,
            StallTimeout = camera.Reconnect.StallTimeout,
        },
        Transport = camera.Transport switch
        {
            CameraTransport.Tcp => IngestTransport.Tcp,
            CameraTransport.Udp => IngestTransport.Udp,
            _ => IngestTransport.Auto,
        },
    };

    /// <summary>Every school and camera for <c>/api/v1/status</c> and <c>/metrics</c>; holds no secrets.</summary>
    public GatewayStatusReport GetStatusReport()
    {
        var config = Config;
        var report = StatusModel.Build(config, id => _schools.GetValueOrDefault(id), _registry, _time, _pool.Outstanding);
        var viewers = PullViewersByDestination();
        return report with
        {
            Destinations = config.Destinations
                .Select(d => new DestinationReport(d.Id, d.Name, config.SchoolsOf(d.Id).Count, d.Pull?.Users.Count ?? 0, viewers.GetValueOrDefault(d.Id), d.Push is not null))
                .ToList(),
            Pushes = _pushes.Report(),
            Runtime = RuntimeReport.Capture(_pool.PooledCount),
        };
    }

    /// <summary>Live viewing sessions per destination id (anonymous loopback viewers are not counted).</summary>
    public IReadOnlyDictionary<string, int> PullViewersByDestination() =>
        _rtspServer?.CountSessionsByDestination() ?? new Dictionary<string, int>();

    /// <summary>Every recorder's state for <c>/api/v1/recording</c>; holds no secrets.</summary>
    public IReadOnlyList<RecorderStatus> GetRecordingStatus() => _recordings.GetStatus();

    /// <summary>A flat snapshot of every camera for <c>/api/v1/streams</c>; holds no secrets.</summary>
    public IReadOnlyList<CameraStatus> GetStatus()
    {
        var result = new List<CameraStatus>();
        foreach (var school in Config.Schools)
        {
            foreach (var camera in school.Cameras)
            {
                var connector = _schools.GetValueOrDefault(school.Id)?.Find(camera.Path);
                var hub = _registry.Resolve(camera.Path);
                var stats = hub?.GetStats();
                result.Add(new CameraStatus(
                    camera.Path,
                    school.Id,
                    camera.CameraId,
                    connector?.State.ToString() ?? "Stopped",
                    connector?.ActiveTransport?.ToString(),
                    hub?.Tracks?.Select(t => $"{t.Kind.ToString().ToLowerInvariant()}/{t.EncodingName}").ToArray() ?? [],
                    connector?.Counters.Packets ?? 0,
                    connector?.Counters.Bytes ?? 0,
                    connector?.Counters.Malformed ?? 0,
                    connector?.Counters.Reconnects ?? 0,
                    stats?.Subscribers ?? 0,
                    stats?.DroppedPackets ?? 0,
                    StatusModel.Scrub(connector?.LastError, camera)));
            }
        }

        return result;
    }

    public async ValueTask DisposeAsync()
    {
        if (_httpServer is not null)
        {
            await _httpServer.DisposeAsync().ConfigureAwait(false);
        }

        if (_rtspServer is not null)
        {
            await _rtspServer.DisposeAsync().ConfigureAwait(false);
        }

        // Before the cameras stop, so each open segment ends cleanly and the journal says the gateway stopped.
        await _recordings.DisposeAsync().ConfigureAwait(false);
        if (_archive is not null)
        {
            await _archive.DisposeAsync().ConfigureAwait(false);
        }

        await _pushes.DisposeAsync().ConfigureAwait(false);

        // After the server and the pushes: its sessions' last entries ("server stopping") are queued by now.
        if (_audit is not null)
        {
            await _audit.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var school in _schools.Values)
        {
            await school.DisposeAsync().ConfigureAwait(false);
        }

        _schools.Clear();
        foreach (var hub in _registry.All)
        {
            hub.Dispose();
        }

        _applyGate.Dispose();
    }
}

/// <summary>One camera as the status API shows it.</summary>
internal sealed record CameraStatus(
    string Path,
    string School,
    string Camera,
    string State,
    string? Transport,
    string[] Tracks,
    long PacketsReceived,
    long BytesReceived,
    long MalformedPackets,
    long Reconnects,
    int Viewers,
    long ViewerDroppedPackets,
    string? LastError);
