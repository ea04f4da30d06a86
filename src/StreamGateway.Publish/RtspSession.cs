using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using StreamGateway.Protocols.Rtsp;
using StreamGateway.Publish.Access;
using StreamGateway.Relay;

namespace StreamGateway.Publish;

/// <summary>How a session's media travels.</summary>
internal enum MediaTransport
{
    /// <summary>RTP/AVP/TCP interleaved on the RTSP connection.</summary>
    Tcp,

    /// <summary>RTP/AVP over UDP unicast to the client's ports.</summary>
    Udp,
}

/// <summary>Where one set-up track goes: interleaved channels (TCP) or the client's UDP endpoints.</summary>
internal sealed record TrackBinding(byte RtpChannel, byte RtcpChannel, IPEndPoint? RtpEndPoint, IPEndPoint? RtcpEndPoint);

/// <summary>
/// One RTSP session: the tracks a client set up on one published path, and while playing, a hub
/// subscription drained by a sender loop. Packet ownership: every packet read from the subscription
/// is released exactly once by the sender loop, after its send completed (or was skipped).
/// </summary>
internal sealed class RtspSession
{
    // Interleaved frames (RTP packets) gathered into one send: a whole video frame, usually, since the hub wakes
    // a sender once per access unit; up to 64 when catching up (the GOP cache at PLAY, a backlog). On Linux that
    // is one non-blocking sendmsg without allocation (NonBlockingGatherSend); elsewhere the runtime's gather send,
    // which allocates above 8 buffers.
    private const int BatchFrames = NonBlockingGatherSend.MaxBuffers / 2;
    private const int MaxBatchBytes = 256 * 1024;

    private readonly RtspServer _server;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private readonly CancellationTokenSource _lifetime = new();
    private TrackBinding?[] _bindings = [];
    private Subscription? _pending;
    private Subscription? _playing;
    private CancellationTokenSource? _senderStop;
    private Task _sender = Task.CompletedTask;
    private long _lastActivity = Stopwatch.GetTimestamp();
    private int _closed;
    private long _delivered;
    private long _bytes;
    private long _dropped;

    public RtspSession(RtspServer server, ILogger logger, string id, long number, string path, StreamHub hub, MediaTransport transport, RtspConnection owner, UdpPortPair? udp, ViewerIdentity viewer)
    {
        Viewer = viewer;
        Started = DateTimeOffset.UtcNow;
        _server = server;
        _logger = logger;
        Id = id;
        Number = number;
        Path = path;
        Hub = hub;
        Transport = transport;
        Owner = owner;
        Udp = udp;
        if (udp is not null)
        {
            _ = udp.RunReceiversAsync(OnUdpPacket, _lifetime.Token);
        }
    }

    /// <summary>The session id given to the client (a bearer capability: never logged).</summary>
    public string Id { get; }

    /// <summary>A small number that names the session in logs.</summary>
    public long Number { get; }

    public string Path { get; }

    /// <summary>Who set the session up; requests on it must come from the same viewer.</summary>
    public ViewerIdentity Viewer { get; }

    /// <summary>When SETUP created the session (UTC).</summary>
    public DateTimeOffset Started { get; }

    public StreamHub Hub { get; }

    public MediaTransport Transport { get; }

    /// <summary>The connection that created the session; TCP sessions live and die with it.</summary>
    public RtspConnection Owner { get; }

    public UdpPortPair? Udp { get; }

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    public bool IsPlaying
    {
        get
        {
            lock (_gate)
            {
                return _playing is not null;
            }
        }
    }

    public TimeSpan IdleFor => Stopwatch.GetElapsedTime(Volatile.Read(ref _lastActivity));

    public string TransportName => Transport == MediaTransport.Tcp ? "tcp" : "udp";

    public void Touch() => Volatile.Write(ref _lastActivity, Stopwatch.GetTimestamp());

    public bool HasTrack(int index)
    {
        var bindings = Volatile.Read(ref _bindings);
        return index < bindings.Length && bindings[index] is not null;
    }

    /// <summary>Channels already used by this session's tracks (to avoid assigning them twice).</summary>
    public bool UsesChannel(int channel) =>
        Volatile.Read(ref _bindings).Any(b => b is not null && (b.RtpChannel == channel || b.RtcpChannel == channel));

    /// <summary>Sets up (or replaces) a track; copy-on-write so the sender reads a stable array without a lock.</summary>
    public void SetTrack(int index, TrackBinding binding)
    {
        lock (_gate)
        {
            var next = new TrackBinding?[Math.Max(_bindings.Length, index + 1)];
            _bindings.CopyTo(next, 0);
            next[index] = binding;
            Volatile.Write(ref _bindings, next);
        }
    }

    /// <summary>
    /// Subscribes to the hub (the GOP cache is taken now). Call before the PLAY answer, and
    /// <see cref="StartSending"/> after it, so no media precedes the answer on the connection.
    /// Returns false when already playing.
    /// </summary>
    public bool PrepareSubscription(string subscriberName)
    {
        lock (_gate)
        {
            if (IsClosed || _playing is not null || _pending is not null)
            {
                return false;
            }
        }

        // Subscribe outside the lock: the hub raises DemandChanged synchronously into host code. The sender is
        // woken inline on the camera's read loop: after a wake it only gathers the queued access unit into one
        // non-blocking send that completes or pends. With socket completions inline too (Program.cs), a camera's
        // frame goes from its socket to every viewer's socket on one thread, without a thread wake-up
        // (docs/benchmarks-notes.md: context switches at N=20x3 about 1,900/s -> 500/s).
        var subscription = Hub.Subscribe(subscriberName, readerRunsInline: true);
        lock (_gate)
        {
            if (IsClosed || _playing is not null || _pending is not null)
            {
                subscription.Dispose();
                return false;
            }

            _pending = subscription;
            return true;
        }
    }

    /// <summary>Starts the sender loop on the subscription taken by <see cref="PrepareSubscription"/>.</summary>
    public void StartSending()
    {
        lock (_gate)
        {
            if (_pending is null)
            {
                return;
            }

            var subscription = _pending;
            _pending = null;
            if (IsClosed)
            {
                subscription.Dispose();
                return;
            }

            _playing = subscription;
            var stop = new CancellationTokenSource();
            _senderStop = stop;
            _sender = Task.Run(() => RunSenderAsync(subscription, stop.Token));
        }

        RtspServerLog.SessionPlaying(_logger, Number, Path);
    }

    /// <summary>Stops sending and drops the subscription; the session stays set up.</summary>
    public async Task PauseAsync()
    {
        Task sender;
        lock (_gate)
        {
            _pending?.Dispose();
            _pending = null;
            if (_playing is null)
            {
                return;
            }

            _senderStop!.Cancel();
            sender = _sender;
        }

        await AwaitQuietly(sender).ConfigureAwait(false);
    }

    /// <summary>Ends the session once: stops the sender, frees UDP ports, unregisters and logs the counts.</summary>
    public async Task CloseAsync(string reason, bool fromSender = false)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        Task sender;
        lock (_gate)
        {
            _pending?.Dispose();
            _pending = null;
            _senderStop?.Cancel();
            sender = _sender;
        }

        await _lifetime.CancelAsync().ConfigureAwait(false);
        if (!fromSender)
        {
            await AwaitQuietly(sender).ConfigureAwait(false);
        }

        Udp?.Dispose();
        _server.RemoveSession(this);
        Owner.RemoveSession(this);
        RtspServerLog.SessionEnded(
            _logger,
            Number,
            reason,
            Path,
            Owner.RemoteEndPoint,
            TransportName,
            Interlocked.Read(ref _delivered),
            Interlocked.Read(ref _bytes),
            Interlocked.Read(ref _dropped));
        _server.OnSessionEnded(new ViewingSessionSummary(Viewer, Owner.RemoteEndPoint, Path, Started, DateTimeOffset.UtcNow, Interlocked.Read(ref _bytes), reason));
    }

    public (long Delivered, long Bytes, long Dropped) GetCounts()
    {
        Subscription? playing;
        lock (_gate)
        {
            playing = _playing;
        }

        return (Interlocked.Read(ref _delivered), Interlocked.Read(ref _bytes), Interlocked.Read(ref _dropped) + (playing?.DroppedPackets ?? 0));
    }

    private void OnUdpPacket(IPAddress from)
    {
        if (AddressesMatch(from, Owner.RemoteEndPoint.Address))
        {
            Touch();
        }
    }

    private static bool AddressesMatch(IPAddress a, IPAddress b)
    {
        if (a.IsIPv4MappedToIPv6)
        {
            a = a.MapToIPv4();
        }

        if (b.IsIPv4MappedToIPv6)
        {
            b = b.MapToIPv4();
        }

        return a.Equals(b);
    }

    private async Task RunSenderAsync(Subscription subscription, CancellationToken cancellationToken)
    {
        string? endReason = null;

        // The senders wait without a token: a cancellable WaitToReadAsync allocates on every wait, which at live
        // rates is every packet. Cancellation ends the subscription instead, which ends the wait. On the pool:
        // Cancel is called under _gate, and Dispose raises the hub's events into host code.
        using var wake = cancellationToken.UnsafeRegister(
            static s => ThreadPool.UnsafeQueueUserWorkItem(static sub => sub.Dispose(), (Subscription)s!, preferLocal: false),
            subscription);
        try
        {
            if (Transport == MediaTransport.Tcp)
            {
                await SendTcpAsync(subscription, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await SendUdpAsync(subscription, cancellationToken).ConfigureAwait(false);
            }

            if (!cancellationToken.IsCancellationRequested)
            {
                endReason = subscription.CloseReason ?? "subscription closed";
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
            if (!cancellationToken.IsCancellationRequested)
            {
                RtspServerLog.SendFailed(_logger, Number, e);
                endReason = "send failed";
            }
        }
        catch (Exception e)
        {
            RtspServerLog.SenderCrashed(_logger, Number, e);
            endReason = "sender failed";
        }
        finally
        {
            Interlocked.Add(ref _dropped, subscription.DroppedPackets);
            subscription.Dispose();
            lock (_gate)
            {
                if (ReferenceEquals(_playing, subscription))
                {
                    _playing = null;
                }
            }
        }

        if (endReason is not null)
        {
            // The client must reconnect (new media, stream gone or broken socket): end session and connection.
            await CloseAsync(endReason, fromSender: true).ConfigureAwait(false);
            Owner.Abort(endReason);
        }
    }

    private async Task SendTcpAsync(Subscription subscription, CancellationToken cancellationToken)
    {
        var headers = new byte[BatchFrames * InterleavedFrame.HeaderLength];
        var segments = new List<ArraySegment<byte>>(BatchFrames * 2);
        var inFlight = new List<RelayPacket>(BatchFrames);
        while (await subscription.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            while (true)
            {
                var bindings = Volatile.Read(ref _bindings);
                var batchBytes = 0;
                while (inFlight.Count < BatchFrames && batchBytes < MaxBatchBytes && subscription.TryRead(out var packet))
                {
                    var binding = (uint)packet.TrackIndex < (uint)bindings.Length ? bindings[packet.TrackIndex] : null;
                    if (binding is null || packet.Length > ushort.MaxValue)
                    {
                        packet.Release();
                        continue;
                    }

                    var header = new ArraySegment<byte>(headers, inFlight.Count * InterleavedFrame.HeaderLength, InterleavedFrame.HeaderLength);
                    InterleavedFrame.WriteHeader(header.AsSpan(), packet.IsRtcp ? binding.RtcpChannel : binding.RtpChannel, packet.Length);
                    segments.Add(header);
                    segments.Add(packet.Segment);
                    inFlight.Add(packet);
                    batchBytes += packet.Length + InterleavedFrame.HeaderLength;
                }

                if (inFlight.Count == 0)
                {
                    break;
                }

                try
                {
                    await Owner.SendAsync(segments, cancellationToken).ConfigureAwait(false);
                    Interlocked.Add(ref _delivered, inFlight.Count);
                    Interlocked.Add(ref _bytes, batchBytes);
                }
                finally
                {
                    foreach (var sent in inFlight)
                    {
                        sent.Release();
                    }

                    inFlight.Clear();
                    segments.Clear();
                }
            }
        }
    }

    private async Task SendUdpAsync(Subscription subscription, CancellationToken cancellationToken)
    {
        var udp = Udp!;
        while (await subscription.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
        {
            while (subscription.TryRead(out var packet))
            {
                try
                {
                    var bindings = Volatile.Read(ref _bindings);
                    var binding = (uint)packet.TrackIndex < (uint)bindings.Length ? bindings[packet.TrackIndex] : null;
                    if (binding is null)
                    {
                        continue;
                    }

                    var (socket, target) = packet.IsRtcp ? (udp.Rtcp, binding.RtcpEndPoint!) : (udp.Rtp, binding.RtpEndPoint!);
                    try
                    {
                        await socket.SendToAsync(packet.Data, SocketFlags.None, target, cancellationToken).ConfigureAwait(false);
                        Interlocked.Increment(ref _delivered);
                        Interlocked.Add(ref _bytes, packet.Length);
                    }
                    catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset or SocketError.NoBufferSpaceAvailable or SocketError.HostUnreachable or SocketError.NetworkUnreachable)
                    {
                        // A datagram the client did not take; the session timeout ends a client that is gone.
                        Interlocked.Increment(ref _dropped);
                    }
                }
                finally
                {
                    packet.Release();
                }
            }
        }
    }

    private static async Task AwaitQuietly(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The sender logs its own failures.
        }
    }
}
