using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace StreamGateway.IntegrationTests.Faults;

/// <summary>What <see cref="FaultProxy"/> does with connections right now.</summary>
internal enum FaultMode
{
    /// <summary>Relay bytes both ways.</summary>
    Forward,

    /// <summary>Keep every connection open but move no byte either way (no FIN, no RST): a half-open link.</summary>
    Blackhole,

    /// <summary>Reset (RST) every open connection and every new one at once.</summary>
    Reset,

    /// <summary>Stop listening: new connections are refused by the kernel; open ones are left alone.</summary>
    Refuse,
}

/// <summary>
/// A TCP proxy on 127.0.0.1 (ephemeral port, kept across <see cref="FaultMode.Refuse"/>) in front of one
/// upstream (a camera), whose behaviour is switched at run time to inject link faults. RTSP over TCP only:
/// interleaved media rides on the proxied connection, UDP media would bypass it.
/// Every accepted connection's time is recorded (<see cref="AcceptedAt"/>), so tests can see reconnect storms.
/// </summary>
internal sealed class FaultProxy : IAsyncDisposable
{
    private const int MaxConnections = 1024;
    private const int BufferSize = 64 * 1024;

    private readonly IPEndPoint _upstream;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly HashSet<Link> _links = [];
    private readonly List<TimeSpan> _acceptedAt = [];
    private readonly Stopwatch _clock;
    private TaskCompletionSource _forwarding = NewOpenGate();
    private Socket? _listener;
    private Task _acceptLoop = Task.CompletedTask;
    private FaultMode _mode = FaultMode.Forward;
    private int _disposed;

    private FaultProxy(IPEndPoint upstream, Stopwatch clock)
    {
        _upstream = upstream;
        _clock = clock;
    }

    public int Port { get; private set; }

    public FaultMode Mode
    {
        get
        {
            lock (_gate)
            {
                return _mode;
            }
        }
    }

    /// <summary>Connections accepted so far (all modes).</summary>
    public int AcceptedConnections
    {
        get
        {
            lock (_gate)
            {
                return _acceptedAt.Count;
            }
        }
    }

    /// <summary>Connections open now.</summary>
    public int OpenConnections
    {
        get
        {
            lock (_gate)
            {
                return _links.Count;
            }
        }
    }

    /// <summary>When each connection was accepted, on the proxy's clock, oldest first.</summary>
    public IReadOnlyList<TimeSpan> AcceptedAt
    {
        get
        {
            lock (_gate)
            {
                return [.. _acceptedAt];
            }
        }
    }

    /// <summary>Starts a proxy to <paramref name="upstreamPort"/> on 127.0.0.1; times are read from <paramref name="clock"/>.</summary>
    public static FaultProxy Start(int upstreamPort, Stopwatch? clock = null)
    {
        var proxy = new FaultProxy(new IPEndPoint(IPAddress.Loopback, upstreamPort), clock ?? Stopwatch.StartNew());
        lock (proxy._gate)
        {
            proxy.Listen(0);
        }

        return proxy;
    }

    /// <summary>The proxied URL of an upstream RTSP URL (same path and user info, the proxy's port).</summary>
    public string Wrap(string upstreamUrl)
    {
        var builder = new UriBuilder(upstreamUrl) { Host = "127.0.0.1", Port = Port };
        return builder.Uri.AbsoluteUri;
    }

    public void SetMode(FaultMode mode)
    {
        List<Link> toReset = [];
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed != 0, this);
            if (mode == _mode)
            {
                return;
            }

            var previous = _mode;
            _mode = mode;
            if (mode == FaultMode.Blackhole)
            {
                _forwarding = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            else if (previous == FaultMode.Blackhole)
            {
                _forwarding.TrySetResult();
            }

            if (mode == FaultMode.Reset)
            {
                toReset.AddRange(_links);
            }

            if (mode == FaultMode.Refuse)
            {
                _listener?.Dispose();
                _listener = null;
            }
            else if (_listener is null)
            {
                Listen(Port);
            }
        }

        foreach (var link in toReset)
        {
            link.Reset();
        }
    }

    /// <summary>Resets every open connection now, whatever the mode (e.g. before refusing new ones).</summary>
    public void ResetAll()
    {
        List<Link> links;
        lock (_gate)
        {
            links = [.. _links];
        }

        foreach (var link in links)
        {
            link.Reset();
        }
    }

    public override string ToString() => $"FaultProxy {{ Port = {Port}, Upstream = {_upstream.Port}, Mode = {Mode}, Accepted = {AcceptedConnections}, Open = {OpenConnections} }}";

    private static TaskCompletionSource NewOpenGate()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        gate.SetResult();
        return gate;
    }

    // Called under _gate.
    private void Listen(int port)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // The same port again after Refuse, while old connections may still be in TIME_WAIT.
            listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
            listener.Listen(512);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        _listener = listener;
        Port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var previous = _acceptLoop;
        _acceptLoop = Task.Run(async () =>
        {
            await previous.ConfigureAwait(false);
            await AcceptLoopAsync(listener).ConfigureAwait(false);
        });
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return; // listener closed (Refuse or dispose)
            }

            client.NoDelay = true;
            Link link;
            FaultMode mode;
            lock (_gate)
            {
                _acceptedAt.Add(_clock.Elapsed);
                mode = _mode;
                if (_links.Count >= MaxConnections || _disposed != 0)
                {
                    client.Dispose();
                    continue;
                }

                link = new Link(this, client);
                _links.Add(link);
            }

            if (mode == FaultMode.Reset)
            {
                link.Reset();
                continue;
            }

            _ = link.RunAsync();
        }
    }

    private Task WaitForwardingAsync()
    {
        lock (_gate)
        {
            return _forwarding.Task;
        }
    }

    private void Remove(Link link)
    {
        lock (_gate)
        {
            _links.Remove(link);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        List<Link> links;
        lock (_gate)
        {
            _listener?.Dispose();
            _listener = null;
            links = [.. _links];
            _forwarding.TrySetResult();
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var link in links)
        {
            link.Close();
        }

        try
        {
            await _acceptLoop.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            await Task.WhenAll(links.Select(l => l.Completion)).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Every socket is closed already; a pump that has not noticed yet holds nothing else.
        }
    }

    /// <summary>One proxied connection: client socket, upstream socket, a pump each way.</summary>
    private sealed class Link(FaultProxy proxy, Socket client)
    {
        private readonly Socket _upstream = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _closed;

        public Task Completion => _done.Task;

        public async Task RunAsync()
        {
            try
            {
                using var connect = CancellationTokenSource.CreateLinkedTokenSource(proxy._stop.Token);
                connect.CancelAfter(TimeSpan.FromSeconds(5));
                await _upstream.ConnectAsync(proxy._upstream, connect.Token).ConfigureAwait(false);
                var up = PumpAsync(client, _upstream);
                var down = PumpAsync(_upstream, client);
                await Task.WhenAny(up, down).ConfigureAwait(false);
                Close(); // one side ended: end the other (its pump then fails on the disposed socket)
                await Task.WhenAll(up, down).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                // Upstream down (the camera was killed) or the link was reset: the client sees the close.
            }
            finally
            {
                Close();
            }
        }

        /// <summary>RST both sides: linger 0 then close.</summary>
        public void Reset()
        {
            foreach (var socket in new[] { client, _upstream })
            {
                try
                {
                    socket.LingerState = new LingerOption(true, 0);
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    // Already closed or never connected.
                }
            }

            Close();
        }

        public void Close()
        {
            if (Interlocked.Exchange(ref _closed, 1) != 0)
            {
                return;
            }

            client.Dispose();
            _upstream.Dispose();
            proxy.Remove(this);
            _done.TrySetResult();
        }

        private async Task PumpAsync(Socket from, Socket to)
        {
            var buffer = new byte[BufferSize];
            while (!proxy._stop.IsCancellationRequested)
            {
                // A blackholed link neither reads nor writes: bytes wait in the kernel buffers as on a dead path.
                await proxy.WaitForwardingAsync().WaitAsync(proxy._stop.Token).ConfigureAwait(false);
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, proxy._stop.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    return;
                }

                await proxy.WaitForwardingAsync().WaitAsync(proxy._stop.Token).ConfigureAwait(false);
                var sent = 0;
                while (sent < read)
                {
                    sent += await to.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None, proxy._stop.Token).ConfigureAwait(false);
                }
            }
        }
    }
}
