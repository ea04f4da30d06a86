using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using StreamGateway.Protocols.Rtsp;
using StreamGateway.Protocols.Sdp;
using StreamGateway.Publish.Access;
using StreamGateway.Relay;

namespace StreamGateway.Publish;

/// <summary>
/// One client connection: a read loop that parses requests (and ignores the client's interleaved
/// RTCP), answers them in order, and a write lock so answers never split a media batch.
/// </summary>
internal sealed class RtspConnection
{
    private const string PublicMethods = "OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER";

    private readonly RtspServer _server;
    private readonly RtspServerOptions _options;
    private readonly ILogger _logger;
    private readonly Socket _socket;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly GatherSendArgs _gatherSend = new();
    private readonly NonBlockingGatherSend? _nonBlockingSend = NonBlockingGatherSend.IsSupported ? new() : null;
    private readonly CancellationTokenSource _aborted = new();
    private readonly List<RtspSession> _sessions = [];
    private string? _abortReason;
    private long _lastActivity = Stopwatch.GetTimestamp();

    public RtspConnection(RtspServer server, RtspServerOptions options, ILogger logger, Socket socket, long id)
    {
        _server = server;
        _options = options;
        _logger = logger;
        _socket = socket;
        Id = id;
        RemoteEndPoint = (IPEndPoint)socket.RemoteEndPoint!;
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
    }

    public long Id { get; }

    public IPEndPoint RemoteEndPoint { get; }

    public IPEndPoint LocalEndPoint { get; }

    public TimeSpan IdleFor => Stopwatch.GetElapsedTime(Volatile.Read(ref _lastActivity));

    public int SessionCount
    {
        get
        {
            lock (_sessions)
            {
                return _sessions.Count;
            }
        }
    }

    /// <summary>Closes the socket; the read loop then ends and cleans up. Safe to call from any thread, more than once.</summary>
    public void Abort(string reason)
    {
        Interlocked.CompareExchange(ref _abortReason, reason, null);
        try
        {
            _aborted.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }

        _socket.Dispose();
    }

    public void RemoveSession(RtspSession session)
    {
        lock (_sessions)
        {
            _sessions.Remove(session);
        }
    }

    /// <summary>Sends a batch of buffers as one write, serialised with the answers to requests.</summary>
    public async Task SendAsync(IList<ArraySegment<byte>> buffers, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_nonBlockingSend is not null)
            {
                // Usually the socket takes the whole batch at once: one system call, no allocation. Only what a
                // full send buffer left over waits for the socket the usual way.
                var sent = _nonBlockingSend.Send(_socket, buffers);
                if (sent == TotalLength(buffers))
                {
                    return;
                }

                buffers = Remainder(buffers, sent);
            }

            await _gatherSend.SendAsync(_socket, buffers).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private static long TotalLength(IList<ArraySegment<byte>> buffers)
    {
        long total = 0;
        for (var i = 0; i < buffers.Count; i++)
        {
            total += buffers[i].Count;
        }

        return total;
    }

    /// <summary>The bytes of <paramref name="buffers"/> after the first <paramref name="sent"/> (a new list).</summary>
    private static List<ArraySegment<byte>> Remainder(IList<ArraySegment<byte>> buffers, long sent)
    {
        var rest = new List<ArraySegment<byte>>(buffers.Count);
        foreach (var segment in buffers)
        {
            if (sent >= segment.Count)
            {
                sent -= segment.Count;
                continue;
            }

            rest.Add(segment[(int)sent..]);
            sent = 0;
        }

        return rest;
    }

    public async Task RunAsync()
    {
        RtspServerLog.ConnectionAccepted(_logger, Id, RemoteEndPoint);
        var reason = "client closed";
        var stream = new NetworkStream(_socket, ownsSocket: false);
        // Zero-byte reads: a viewer sends a request now and then, so its connection holds no buffer while it waits.
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, leaveOpen: true, useZeroByteReads: true));
        using var requestTimer = CancellationTokenSource.CreateLinkedTokenSource(_aborted.Token);
        var partialSince = 0L;
        var messages = new List<RtspMessage>();
        try
        {
            while (true)
            {
                if (partialSince != 0)
                {
                    var left = _options.RequestTimeout - Stopwatch.GetElapsedTime(partialSince);
                    requestTimer.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
                }

                ReadResult result;
                try
                {
                    result = await reader.ReadAsync(requestTimer.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!_aborted.IsCancellationRequested)
                {
                    RtspServerLog.RequestTimedOut(_logger, RemoteEndPoint, _options.RequestTimeout);
                    reason = "request timeout";
                    break;
                }

                var buffer = result.Buffer;
                var status = Parse(buffer, messages, out var consumed, out var error);
                reader.AdvanceTo(consumed, buffer.End);
                if (messages.Count > 0 || status == OperationStatus.Done)
                {
                    Touch();
                }

                foreach (var message in messages)
                {
                    if (message is RtspRequest request)
                    {
                        await HandleAsync(request).ConfigureAwait(false);
                    }
                }

                messages.Clear();
                if (status == OperationStatus.InvalidData)
                {
                    RtspServerLog.MalformedInput(_logger, RemoteEndPoint, error ?? "invalid data");
                    await SendAsync(CreateResponse(400, null)).ConfigureAwait(false);
                    reason = "malformed input";
                    break;
                }

                // Arm the slow-header timer while a message is incomplete; disarm once the buffer is whole.
                var pending = !buffer.Slice(consumed).IsEmpty;
                if (pending && partialSince == 0)
                {
                    partialSince = Stopwatch.GetTimestamp();
                }
                else if (!pending && partialSince != 0)
                {
                    partialSince = 0;
                    if (!requestTimer.TryReset())
                    {
                        reason = "request timeout";
                        break;
                    }
                }

                if (result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            reason = _abortReason ?? (IsPeerDisconnect(e) ? "client reset" : "connection lost");
            if (_abortReason is null && !IsPeerDisconnect(e))
            {
                RtspServerLog.ConnectionFailed(_logger, Id, RemoteEndPoint, e);
            }
        }
        catch (Exception e)
        {
            // A bug must not take the server down: log it and drop this connection only.
            RtspServerLog.ConnectionFailed(_logger, Id, RemoteEndPoint, e);
            reason = "internal error";
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
            await stream.DisposeAsync().ConfigureAwait(false);
            await CloseAsync(_abortReason ?? reason).ConfigureAwait(false);
        }
    }

    private async Task CloseAsync(string reason)
    {
        Abort(reason);
        RtspSession[] owned;
        lock (_sessions)
        {
            owned = [.. _sessions];
        }

        // TCP sessions live as long as their connection; UDP sessions outlive it until their timeout.
        foreach (var session in owned)
        {
            if (session.Transport == MediaTransport.Tcp)
            {
                // Keep the server's own reasons for the audit trail; anything else is the client leaving.
                await session.CloseAsync(reason is "server stopping" or "access revoked" ? reason : "connection closed").ConfigureAwait(false);
            }
        }

        RtspServerLog.ConnectionClosed(_logger, Id, RemoteEndPoint, reason);
        _aborted.Dispose();
    }

    /// <summary>A reset or abort by the peer is how many players leave after TEARDOWN: not worth a stack trace.</summary>
    private static bool IsPeerDisconnect(Exception e) =>
        (e as SocketException ?? e.InnerException as SocketException)?.SocketErrorCode
            is SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown;

    private void Touch() => Volatile.Write(ref _lastActivity, Stopwatch.GetTimestamp());

    /// <summary>Parses every whole message and interleaved frame in the buffer; pure, no I/O.</summary>
    private static OperationStatus Parse(in ReadOnlySequence<byte> buffer, List<RtspMessage> messages, out SequencePosition consumed, out string? error)
    {
        var reader = new SequenceReader<byte>(buffer);
        error = null;
        var status = OperationStatus.Done;
        while (!reader.End)
        {
            // Tolerate stray line ends between messages (some clients send CRLF keep-alives).
            if (reader.IsNext((byte)'\r', advancePast: true) || reader.IsNext((byte)'\n', advancePast: true))
            {
                continue;
            }

            if (reader.IsNext(InterleavedFrame.Magic))
            {
                status = InterleavedFrame.TryRead(ref reader, out _, out _);
                if (status != OperationStatus.Done)
                {
                    break;
                }

                // Receiver reports from the client: they only prove it is alive (Touch by the caller).
                continue;
            }

            status = RtspParser.TryParseMessage(ref reader, out var message, out error);
            if (status != OperationStatus.Done)
            {
                break;
            }

            messages.Add(message!);
        }

        consumed = reader.Position;
        return status == OperationStatus.NeedMoreData ? OperationStatus.NeedMoreData : status;
    }

    private async Task HandleAsync(RtspRequest request)
    {
        var path = RtspUrl.GetPath(request.Uri);
        RtspResponse response;
        Action? afterSend = null;
        var cseq = request.Headers.Get("CSeq");
        var forbidden = false;
        if (cseq is null || request.CSeq is null)
        {
            response = CreateResponse(400, cseq);
        }
        else if (Authorize(request, path, cseq, out var viewer) is { } refusal)
        {
            response = refusal;
            forbidden = refusal.StatusCode == 403;
        }
        else
        {
            try
            {
                (response, afterSend) = request.Method switch
                {
                    RtspMethods.Options => (HandleOptions(request, cseq), null),
                    RtspMethods.Describe => (await HandleDescribeAsync(request, path, cseq).ConfigureAwait(false), null),
                    RtspMethods.Setup => (HandleSetup(request, path, cseq, viewer!), null),
                    RtspMethods.Play => HandlePlay(request, cseq, viewer!),
                    RtspMethods.Pause => (await HandlePauseAsync(request, cseq, viewer!).ConfigureAwait(false), null),
                    RtspMethods.Teardown => (await HandleTeardownAsync(request, cseq, viewer!).ConfigureAwait(false), null),
                    RtspMethods.GetParameter => (HandleKeepAlive(request, cseq), null),
                    _ => (CreateResponse(501, cseq), null),
                };
            }
            catch (ObjectDisposedException) when (!_aborted.IsCancellationRequested)
            {
                // The hub went away between resolve and use (camera removed by a reload).
                response = CreateResponse(404, cseq);
            }
        }

        RtspServerLog.RequestHandled(_logger, request.Method, path, RemoteEndPoint, response.StatusCode);
        await SendAsync(response).ConfigureAwait(false);
        afterSend?.Invoke();
        if (forbidden)
        {
            Abort("forbidden");
        }
    }

    /// <summary>
    /// Asks the access policy about a request that names a path (OPTIONS and GET_PARAMETER keep-alives are open:
    /// they read nothing). Null means go on as <paramref name="viewer"/>; otherwise the answer to send (401, 404, 403).
    /// </summary>
    private RtspResponse? Authorize(RtspRequest request, string path, string cseq, out ViewerIdentity? viewer)
    {
        viewer = null;
        if (request.Method is RtspMethods.Options or RtspMethods.GetParameter)
        {
            return null;
        }

        var decision = _server.AccessPolicy.Check(new ViewerAccessRequest(request.Method, request.Uri, path, request.Headers.Get("Authorization"), RemoteEndPoint.Address));
        switch (decision.Result)
        {
            case ViewerAccessResult.Allow:
                viewer = decision.Viewer ?? ViewerIdentity.Anonymous;
                return null;
            case ViewerAccessResult.NotFound:
                RtspServerLog.NotRouted(_logger, request.Method, path, RemoteEndPoint, decision.Viewer?.User ?? "-", decision.Viewer?.Destination ?? "-");
                return CreateResponse(404, cseq);
            case ViewerAccessResult.Forbidden:
                RtspServerLog.ViewerRefused(_logger, RemoteEndPoint, decision.Reason);
                return CreateResponse(403, cseq);
            default:
                if (request.Headers.Get("Authorization") is null)
                {
                    RtspServerLog.AuthenticationRequired(_logger, request.Method, path, RemoteEndPoint, decision.Reason);
                }
                else
                {
                    RtspServerLog.AuthenticationFailed(_logger, request.Method, path, RemoteEndPoint, decision.Reason);
                }

                var response = CreateResponse(401, cseq);
                foreach (var challenge in decision.Challenges)
                {
                    response.Headers.Add("WWW-Authenticate", challenge);
                }

                return response;
        }
    }

    private RtspResponse HandleOptions(RtspRequest request, string cseq)
    {
        var lookup = LookupSession(request, cseq, required: false);
        if (lookup.Error is not null)
        {
            return lookup.Error;
        }

        var response = CreateResponse(200, cseq, lookup.Session);
        response.Headers.Add("Public", PublicMethods);
        return response;
    }

    private RtspResponse HandleKeepAlive(RtspRequest request, string cseq)
    {
        var lookup = LookupSession(request, cseq, required: false);
        return lookup.Error ?? CreateResponse(200, cseq, lookup.Session);
    }

    private async Task<RtspResponse> HandleDescribeAsync(RtspRequest request, string path, string cseq)
    {
        var hub = path.Length == 0 ? null : _server.Resolver.Resolve(path);
        if (hub is null)
        {
            RtspServerLog.StreamNotFound(_logger, path, RemoteEndPoint);
            return CreateResponse(404, cseq);
        }

        var tracks = hub.Tracks;
        if (tracks is null)
        {
            // The camera is on demand or reconnecting: ask for it and wait a bounded time.
            using (hub.AcquireDemand())
            {
                await hub.WaitForTracksAsync(_options.DescribeWaitTimeout, _aborted.Token).ConfigureAwait(false);
            }

            tracks = hub.Tracks;
            if (tracks is null)
            {
                RtspServerLog.DescribeTimedOut(_logger, path, _options.DescribeWaitTimeout);
                return CreateResponse(503, cseq);
            }
        }

        var sdp = SdpWriter.Write(tracks, path, LocalEndPoint.Address.IsIPv4MappedToIPv6 ? LocalEndPoint.Address.MapToIPv4().ToString() : LocalEndPoint.Address.ToString());
        var response = CreateResponse(200, cseq);
        response.Headers.Add("Content-Base", RtspUrl.ContentBase(request.Uri));
        response.Headers.Add("Content-Type", "application/sdp");
        response.Body = Encoding.UTF8.GetBytes(sdp);
        return response;
    }

    private RtspResponse HandleSetup(RtspRequest request, string path, string cseq, ViewerIdentity viewer)
    {
        var lookup = LookupSession(request, cseq, required: false, viewer);
        if (lookup.Error is not null)
        {
            return lookup.Error;
        }

        var existing = lookup.Session;
        var (streamPath, track) = RtspUrl.SplitTrack(path);
        var hub = existing?.Hub ?? (streamPath.Length == 0 ? null : _server.Resolver.Resolve(streamPath));
        if (hub is null)
        {
            return CreateResponse(404, cseq);
        }

        if (existing is not null && !string.Equals(existing.Path, streamPath, StringComparison.Ordinal))
        {
            return CreateResponse(459, cseq, existing);
        }

        var tracks = hub.Tracks;
        if (tracks is null)
        {
            return CreateResponse(503, cseq, existing);
        }

        if (track is null)
        {
            // The aggregate URL names the only track of a single-track stream.
            if (tracks.Count != 1)
            {
                return CreateResponse(459, cseq, existing);
            }

            track = tracks[0].Index;
        }

        if (!tracks.Any(t => t.Index == track.Value))
        {
            return CreateResponse(404, cseq, existing);
        }

        var transportHeader = request.Headers.Get("Transport");
        var chosen = transportHeader is null ? null : ChooseTransport(transportHeader);
        if (chosen is null)
        {
            RtspServerLog.UnsupportedTransport(_logger, RemoteEndPoint, transportHeader ?? "(none)");
            return CreateResponse(461, cseq, existing);
        }

        var kind = chosen.IsTcp ? MediaTransport.Tcp : MediaTransport.Udp;
        if (existing is not null && existing.Transport != kind)
        {
            return CreateResponse(461, cseq, existing);
        }

        if (existing is not null && existing.IsPlaying)
        {
            return CreateResponse(455, cseq, existing);
        }

        var session = existing;
        if (session is null)
        {
            if (SessionCount >= _options.MaxSessionsPerConnection)
            {
                return CreateResponse(453, cseq);
            }

            UdpPortPair? udp = null;
            if (kind == MediaTransport.Udp)
            {
                udp = UdpPortPair.TryAllocate(_options.BindAddress);
                if (udp is null)
                {
                    RtspServerLog.UdpPortsExhausted(_logger, RemoteEndPoint);
                    return CreateResponse(453, cseq);
                }
            }

            session = _server.CreateSession(this, streamPath, hub, kind, udp, viewer);
            lock (_sessions)
            {
                _sessions.Add(session);
            }

            RtspServerLog.SessionStarted(_logger, session.Number, streamPath, RemoteEndPoint, session.TransportName);
        }

        string transportReply;
        if (kind == MediaTransport.Tcp)
        {
            var (rtp, rtcp) = chosen.Interleaved ?? AssignChannels(session, track.Value);
            if (rtp is < 0 or > 255 || rtcp is < 0 or > 255)
            {
                return CreateResponse(461, cseq, session);
            }

            session.SetTrack(track.Value, new TrackBinding((byte)rtp, (byte)rtcp, null, null));
            transportReply = string.Create(CultureInfo.InvariantCulture, $"RTP/AVP/TCP;unicast;interleaved={rtp}-{rtcp}");
        }
        else
        {
            var (rtpPort, rtcpPort) = chosen.ClientPort!.Value;
            if (rtpPort is <= 0 or > 65535 || rtcpPort is <= 0 or > 65535)
            {
                return CreateResponse(461, cseq, session);
            }

            // Media goes only to the address the request came from, never to a Transport "destination" (no reflection).
            var client = RemoteEndPoint.Address;
            session.SetTrack(track.Value, new TrackBinding(0, 0, new IPEndPoint(client, rtpPort), new IPEndPoint(client, rtcpPort)));
            transportReply = string.Create(
                CultureInfo.InvariantCulture,
                $"RTP/AVP;unicast;client_port={rtpPort}-{rtcpPort};server_port={session.Udp!.RtpPort}-{session.Udp.RtcpPort}");
        }

        session.Touch();
        var response = CreateResponse(200, cseq, session);
        response.Headers.Add("Transport", transportReply);
        return response;
    }

    private static (int, int) AssignChannels(RtspSession session, int track)
    {
        var first = 2 * track;
        while (first < 254 && (session.UsesChannel(first) || session.UsesChannel(first + 1)))
        {
            first += 2;
        }

        return (first, first + 1);
    }

    private static RtspTransport? ChooseTransport(string header)
    {
        IReadOnlyList<RtspTransport> offers;
        try
        {
            offers = RtspTransport.ParseList(header);
        }
        catch (FormatException)
        {
            return null;
        }

        foreach (var offer in offers)
        {
            var profile = offer.Protocol.ToUpperInvariant();
            if (offer.IsMulticast || profile is not ("RTP/AVP" or "RTP/AVP/TCP" or "RTP/AVP/UDP"))
            {
                continue;
            }

            if (offer.IsTcp || offer.ClientPort is not null)
            {
                return offer;
            }
        }

        return null;
    }

    private (RtspResponse Response, Action? AfterSend) HandlePlay(RtspRequest request, string cseq, ViewerIdentity viewer)
    {
        var lookup = LookupSession(request, cseq, required: true, viewer);
        if (lookup.Error is not null)
        {
            return (lookup.Error, null);
        }

        var session = lookup.Session!;
        session.Touch();
        var started = session.PrepareSubscription($"rtsp {RemoteEndPoint} #{session.Number}");
        var response = CreateResponse(200, cseq, session);
        response.Headers.Add("Range", "npt=0.000-");

        // Media starts only after the answer is on the wire: ffmpeg discards interleaved data that precedes it.
        return (response, started ? session.StartSending : null);
    }

    private async Task<RtspResponse> HandlePauseAsync(RtspRequest request, string cseq, ViewerIdentity viewer)
    {
        var lookup = LookupSession(request, cseq, required: true, viewer);
        if (lookup.Error is not null)
        {
            return lookup.Error;
        }

        await lookup.Session!.PauseAsync().ConfigureAwait(false);
        lookup.Session.Touch();
        return CreateResponse(200, cseq, lookup.Session);
    }

    private async Task<RtspResponse> HandleTeardownAsync(RtspRequest request, string cseq, ViewerIdentity viewer)
    {
        var lookup = LookupSession(request, cseq, required: true, viewer);
        if (lookup.Error is not null)
        {
            return lookup.Error;
        }

        await lookup.Session!.CloseAsync("teardown").ConfigureAwait(false);
        return CreateResponse(200, cseq);
    }

    /// <summary>
    /// Finds the session named by the request's Session header. Missing and required gives 454 (455 for PLAY/PAUSE
    /// before any SETUP); unknown, closed, another connection's TCP session or another viewer's session gives 454.
    /// A found session is touched. <paramref name="viewer"/> is null for requests that are not authenticated (keep-alives).
    /// </summary>
    private (RtspSession? Session, RtspResponse? Error) LookupSession(RtspRequest request, string cseq, bool required, ViewerIdentity? viewer = null)
    {
        var header = request.Headers.Get("Session");
        if (header is null)
        {
            if (!required)
            {
                return (null, null);
            }

            return (null, CreateResponse(request.Method is RtspMethods.Play or RtspMethods.Pause ? 455 : 454, cseq));
        }

        var id = header.Split(';', 2)[0].Trim();
        var session = _server.FindSession(id);
        if (session is null || session.IsClosed || (session.Transport == MediaTransport.Tcp && !ReferenceEquals(session.Owner, this))
            || (viewer is not null && !viewer.Equals(session.Viewer)))
        {
            return (null, CreateResponse(454, cseq));
        }

        session.Touch();
        return (session, null);
    }

    private RtspResponse CreateResponse(int status, string? cseq, RtspSession? session = null)
    {
        var response = new RtspResponse(status);
        if (cseq is not null)
        {
            response.Headers.Add("CSeq", cseq);
        }

        response.Headers.Add("Server", _options.ServerName);
        if (session is not null)
        {
            response.Headers.Add("Session", string.Create(CultureInfo.InvariantCulture, $"{session.Id};timeout={(int)_options.SessionTimeout.TotalSeconds}"));
        }

        return response;
    }

    private async Task SendAsync(RtspResponse response)
    {
        var bytes = response.Serialize();
        await _writeLock.WaitAsync(_aborted.Token).ConfigureAwait(false);
        try
        {
            await _socket.SendAsync(bytes, SocketFlags.None, _aborted.Token).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }
}
