using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using StreamGateway.Publish.Access;
using StreamGateway.Relay;

namespace StreamGateway.Publish;

/// <summary>
/// The RTSP 1.0 server (RFC 2326) that re-publishes every hub to dispatchers and VMS:
/// DESCRIBE/SETUP/PLAY over TCP, media as RTP over TCP interleaved or UDP unicast.
/// It only reads hubs through <see cref="IStreamResolver"/> and never talks to cameras.
/// </summary>
public sealed class RtspServer : IAsyncDisposable
{
    private readonly RtspServerOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, RtspSession> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, (RtspConnection Connection, Task Run)> _connections = new();
    private readonly ConcurrentDictionary<IPAddress, int> _connectionsPerAddress = new();
    private readonly CancellationTokenSource _stop = new();
    private Socket? _listener;
    private Task _acceptLoop = Task.CompletedTask;
    private Task _sweepLoop = Task.CompletedTask;
    private long _nextConnectionId;
    private long _nextSessionNumber;
    private int _disposed;
    private volatile IViewerAccessPolicy _accessPolicy = AllowAllViewers.Instance;

    public RtspServer(RtspServerOptions options, IStreamResolver resolver, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(resolver);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid RTSP server options: " + string.Join("; ", errors), nameof(options));
        }

        _options = options;
        Resolver = resolver;
        _logger = loggerFactory.CreateLogger<RtspServer>();
    }

    /// <summary>The bound address and port (the real port when <see cref="RtspServerOptions.Port"/> is 0). Valid after <see cref="StartAsync"/>.</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)(_listener?.LocalEndPoint ?? throw new InvalidOperationException("The RTSP server has not been started."));

    /// <summary>Sessions currently set up (playing or not).</summary>
    public int SessionCount => _sessions.Count;

    internal IStreamResolver Resolver { get; }

    /// <summary>
    /// Who may read what; checked on every request that names a path. Default: everyone (embedding, protocol
    /// tests); the gateway host always sets a <see cref="PullAccessPolicy"/>. May be replaced at any time.
    /// </summary>
    internal IViewerAccessPolicy AccessPolicy
    {
        get => _accessPolicy;
        set => _accessPolicy = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>
    /// Raised once per session as it ends (teardown, connection closed, timeout, stream gone, access revoked,
    /// server stopping), on the thread that closed it. Handlers must be quick and must not throw (the audit
    /// trail queues the entry).
    /// </summary>
    internal event Action<ViewingSessionSummary>? SessionEnded;

    /// <summary>Binds and starts accepting; returns once the socket listens.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (_listener is not null)
        {
            throw new InvalidOperationException("The RTSP server is already started.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        var listener = new Socket(_options.BindAddress.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(new IPEndPoint(_options.BindAddress, _options.Port));
            listener.Listen(512);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        _listener = listener;
        RtspServerLog.Listening(_logger, listener.LocalEndPoint!);
        _acceptLoop = AcceptLoopAsync(listener, _stop.Token);
        _sweepLoop = SweepLoopAsync(_stop.Token);
        return Task.CompletedTask;
    }

    internal RtspSession CreateSession(RtspConnection owner, string path, StreamHub hub, MediaTransport transport, UdpPortPair? udp, ViewerIdentity viewer)
    {
        while (true)
        {
            // 64 random bits: a session id is a capability for UDP sessions, which any connection may control.
            var id = Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
            var session = new RtspSession(this, _logger, id, Interlocked.Increment(ref _nextSessionNumber), path, hub, transport, owner, udp, viewer);
            if (_sessions.TryAdd(id, session))
            {
                return session;
            }
        }
    }

    internal RtspSession? FindSession(string id) => _sessions.TryGetValue(id, out var session) ? session : null;

    internal void RemoveSession(RtspSession session) => _sessions.TryRemove(new KeyValuePair<string, RtspSession>(session.Id, session));

    /// <summary>Open sessions per destination of their viewer (anonymous viewers are not counted).</summary>
    internal Dictionary<string, int> CountSessionsByDestination()
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var session in _sessions.Values)
        {
            if (!session.IsClosed && session.Viewer.Destination is { } destination)
            {
                counts[destination] = counts.GetValueOrDefault(destination) + 1;
            }
        }

        return counts;
    }

    internal void OnSessionEnded(ViewingSessionSummary summary)
    {
        try
        {
            SessionEnded?.Invoke(summary);
        }
        catch (Exception e)
        {
            // An observer's bug must not break session cleanup.
            RtspServerLog.SessionObserverFailed(_logger, e);
        }
    }

    /// <summary>
    /// After a rules change: closes every session the current <see cref="AccessPolicy"/> no longer allows
    /// (TCP sessions with their connection). Sessions of unaffected viewers are not touched. Returns how many closed.
    /// </summary>
    internal async Task<int> RevokeDisallowedSessionsAsync()
    {
        var policy = AccessPolicy;
        var closed = 0;
        foreach (var session in _sessions.Values)
        {
            if (session.IsClosed || policy.StillAllows(session.Viewer, session.Path))
            {
                continue;
            }

            await session.CloseAsync("access revoked").ConfigureAwait(false);
            if (session.Transport == MediaTransport.Tcp)
            {
                session.Owner.Abort("access revoked");
            }

            RtspServerLog.SessionRevoked(_logger, session.Number, session.Path, session.Viewer.User ?? "(anonymous)");
            closed++;
        }

        return closed;
    }

    private async Task AcceptLoopAsync(Socket listener, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                // For example out of file descriptors: back off briefly instead of spinning.
                RtspServerLog.AcceptFailed(_logger, e);
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            if (_connections.Count >= _options.MaxConnections)
            {
                RtspServerLog.ConnectionLimitReached(_logger, socket.RemoteEndPoint, _options.MaxConnections);
                socket.Dispose();
                continue;
            }

            var address = (socket.RemoteEndPoint as IPEndPoint)?.Address ?? IPAddress.None;
            if (_connectionsPerAddress.AddOrUpdate(address, 1, (_, n) => n + 1) > _options.MaxConnectionsPerClientAddress)
            {
                RtspServerLog.ClientConnectionLimitReached(_logger, address, _options.MaxConnectionsPerClientAddress);
                ReleaseAddress(address);
                socket.Dispose();
                continue;
            }

            RtspConnection connection;
            try
            {
                socket.NoDelay = true;
                connection = new RtspConnection(this, _options, _logger, socket, Interlocked.Increment(ref _nextConnectionId));
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // The peer left between accept and here.
                ReleaseAddress(address);
                socket.Dispose();
                continue;
            }

            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var run = RunConnectionAsync(connection, gate.Task);
            _connections[connection.Id] = (connection, run);
            gate.SetResult();
        }
    }

    private async Task RunConnectionAsync(RtspConnection connection, Task registered)
    {
        await registered.ConfigureAwait(false);
        try
        {
            await connection.RunAsync().ConfigureAwait(false);
        }
        finally
        {
            _connections.TryRemove(connection.Id, out _);
            ReleaseAddress(connection.RemoteEndPoint.Address);
        }
    }

    private void ReleaseAddress(IPAddress address)
    {
        while (_connectionsPerAddress.TryGetValue(address, out var count))
        {
            var updated = count <= 1
                ? _connectionsPerAddress.TryRemove(new KeyValuePair<IPAddress, int>(address, count))
                : _connectionsPerAddress.TryUpdate(address, count - 1, count);
            if (updated)
            {
                return;
            }
        }
    }

    /// <summary>Ends UDP sessions that went silent, and connections idle without a session, once per period.</summary>
    private async Task SweepLoopAsync(CancellationToken cancellationToken)
    {
        var period = TimeSpan.FromTicks(Math.Clamp(_options.SessionTimeout.Ticks / 4, TimeSpan.FromMilliseconds(50).Ticks, TimeSpan.FromSeconds(1).Ticks));
        using var timer = new PeriodicTimer(period);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                foreach (var session in _sessions.Values)
                {
                    if (session.Transport == MediaTransport.Udp && session.IdleFor > _options.SessionTimeout)
                    {
                        await session.CloseAsync("timeout").ConfigureAwait(false);
                    }
                }

                foreach (var (connection, _) in _connections.Values)
                {
                    if (connection.SessionCount == 0 && connection.IdleFor > _options.SessionTimeout)
                    {
                        connection.Abort("idle");
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        var endPoint = _listener?.LocalEndPoint;
        _listener?.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        await _sweepLoop.ConfigureAwait(false);

        var runs = new List<Task>();
        foreach (var (connection, run) in _connections.Values)
        {
            connection.Abort("server stopping");
            runs.Add(run);
        }

        await Task.WhenAll(runs).ConfigureAwait(false);
        foreach (var session in _sessions.Values)
        {
            await session.CloseAsync("server stopping").ConfigureAwait(false);
        }

        _stop.Dispose();
        if (endPoint is not null)
        {
            RtspServerLog.Stopped(_logger, endPoint);
        }
    }
}
