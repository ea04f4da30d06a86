using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Pipelines;
using System.Net.Sockets;
using StreamGateway.Protocols.Auth;
using StreamGateway.Protocols.Rtsp;

namespace StreamGateway.Publish.Push;

/// <summary>A push attempt or session failed in an expected way; the message is secret-free and is what status shows.</summary>
internal sealed class PushException(string message, bool authFailed = false, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The server answered 401 to our credentials (or we had none to give).</summary>
    public bool AuthFailed { get; } = authFailed;
}

/// <summary>
/// One RTSP connection to a receiving server. A single read loop owns the input: it completes requests by CSeq,
/// answers the server's own requests, and reads and discards interleaved frames (receiver reports), so the
/// server's sends never fill the socket. Requests and media batches share one write lock.
/// </summary>
internal sealed class PushConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly PipeReader _reader;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly GatherSendArgs _gatherSend = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource<RtspResponse>> _pending = new();
    private readonly ClientAuthenticator? _authenticator;
    private readonly string? _username;
    private readonly TimeSpan _requestTimeout;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _closed = new();
    private readonly TaskCompletionSource<string> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _cseq;
    private Task? _readLoop;
    private string? _session;
    private int _disposed;

    private PushConnection(Socket socket, (string User, string Password)? credentials, TimeSpan requestTimeout, TimeProvider time)
    {
        _time = time;
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        // Zero-byte reads: the server answers a keep-alive now and then; no buffer is held while waiting for it.
        _reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 16 * 1024, minimumReadSize: 4 * 1024, useZeroByteReads: true));
        _requestTimeout = requestTimeout;
        if (credentials is { } c)
        {
            _username = c.User;
            _authenticator = new ClientAuthenticator(c.User, c.Password);
        }
    }

    /// <summary>Completes (never faults) with why the connection ended, when the server closes it or it breaks.</summary>
    public Task<string> Ended => _ended.Task;

    /// <summary>"Basic", "Digest" or "none".</summary>
    public string AuthenticationScheme => _authenticator?.Scheme ?? "none";

    /// <summary>Interleaved frames the server sent (receiver reports), read and discarded.</summary>
    public long DiscardedFrames { get; private set; }

    /// <summary>The session id once SETUP answered one; sent on every later request.</summary>
    public string? Session
    {
        get => Volatile.Read(ref _session);
        set => Volatile.Write(ref _session, value);
    }

    public static async Task<PushConnection> ConnectAsync(PushTarget target, TimeSpan requestTimeout, TimeProvider time, CancellationToken cancellationToken)
    {
        var url = target.Url;
        var port = url.Port > 0 ? url.Port : 554;
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(url.DnsSafeHost, port, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new PushException($"connect to {url.Host}:{port} failed: {ex.SocketErrorCode}", inner: ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var connection = new PushConnection(socket, target.Credentials, requestTimeout, time);
        connection._readLoop = Task.Run(connection.ReadLoopAsync, CancellationToken.None);
        return connection;
    }

    /// <summary>
    /// Sends a request and awaits its answer. A 401 is answered once with the credentials (Basic or Digest,
    /// the strongest the server offers); a second 401 is a <see cref="PushException"/> with AuthFailed.
    /// </summary>
    public async Task<RtspResponse> SendAsync(string method, string uri, Action<RtspHeaders>? addHeaders, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var response = await SendOnceAsync(method, uri, addHeaders, body, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != 401)
        {
            return response;
        }

        if (_authenticator is null)
        {
            throw new PushException($"{method}: the server requires authentication and no credentials are configured (401)", authFailed: true);
        }

        if (!_authenticator.TryAccept(response.Headers.GetAll("WWW-Authenticate")))
        {
            throw new PushException($"{method}: the server offers no usable authentication scheme (401)", authFailed: true);
        }

        response = await SendOnceAsync(method, uri, addHeaders, body, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == 401)
        {
            throw new PushException($"{method}: the server refused the credentials of user '{_username}' (401 {response.Reason})", authFailed: true);
        }

        return response;
    }

    /// <summary>Like <see cref="SendAsync"/> but the answer must be 2xx; otherwise a <see cref="PushException"/> naming the status.</summary>
    public async Task<RtspResponse> RequestAsync(string method, string uri, Action<RtspHeaders>? addHeaders, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var response = await SendAsync(method, uri, addHeaders, body, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is < 200 or > 299)
        {
            throw new PushException($"{method} answered {response.StatusCode} {Printable(response.Reason)}");
        }

        return response;
    }

    /// <summary>Writes the buffers (interleaved headers and packet bytes) in one gather send, serialised with requests.</summary>
    public async ValueTask SendMediaAsync(IList<ArraySegment<byte>> buffers, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _gatherSend.SendAsync(_socket, buffers).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            throw new PushException($"send failed: {ex.SocketErrorCode}", inner: ex);
        }
        catch (ObjectDisposedException ex)
        {
            throw new PushException("send failed: connection closed", inner: ex);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Shuts the socket down at once, so a send stuck on a dead link fails now; the read loop then ends.</summary>
    public void Abort()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task<RtspResponse> SendOnceAsync(string method, string uri, Action<RtspHeaders>? addHeaders, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var request = new RtspRequest(method, uri);
        var cseq = Interlocked.Increment(ref _cseq);
        request.Headers.Add("CSeq", cseq.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("User-Agent", "StreamGateway");
        if (_authenticator?.CreateAuthorization(method, uri) is { } authorization)
        {
            request.Headers.Add("Authorization", authorization);
        }

        if (Session is { } session)
        {
            request.Headers.Add("Session", session);
        }

        addHeaders?.Invoke(request.Headers);
        request.Body = body;

        var pending = new TaskCompletionSource<RtspResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[cseq] = pending;
        try
        {
            await WriteAsync(request.Serialize(), cancellationToken).ConfigureAwait(false);
            return await pending.Task.WaitAsync(_requestTimeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new PushException($"{method} got no answer within {_requestTimeout.TotalSeconds:0.#} s");
        }
        finally
        {
            _pending.TryRemove(cseq, out _);
        }
    }

    private async ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _socket.SendAsync(bytes, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            throw new PushException($"send failed: {ex.SocketErrorCode}", inner: ex);
        }
        catch (ObjectDisposedException ex)
        {
            throw new PushException("send failed: connection closed", inner: ex);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task ReadLoopAsync()
    {
        var reason = "connection closed";
        try
        {
            while (true)
            {
                var result = await _reader.ReadAsync(_closed.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                var consumed = Dispatch(buffer);
                _reader.AdvanceTo(consumed, buffer.End);
                if (result.IsCompleted)
                {
                    reason = "server closed the connection";
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (_closed.IsCancellationRequested)
        {
        }
        catch (PushException ex)
        {
            reason = ex.Message;
        }
        catch (IOException ex)
        {
            reason = ex.InnerException is SocketException se ? $"connection lost: {se.SocketErrorCode}" : "connection lost";
        }
        catch (SocketException ex)
        {
            reason = $"connection lost: {ex.SocketErrorCode}";
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            await _reader.CompleteAsync().ConfigureAwait(false);
        }

        var failure = new PushException(reason);
        foreach (var pending in _pending.Values)
        {
            pending.TrySetException(failure);
        }

        _ended.TrySetResult(reason);
    }

    /// <summary>Handles every whole message and frame in the buffer; returns how far it consumed.</summary>
    private SequencePosition Dispatch(ReadOnlySequence<byte> buffer)
    {
        var reader = new SequenceReader<byte>(buffer);
        while (reader.TryPeek(out var first))
        {
            if (first == InterleavedFrame.Magic)
            {
                var status = InterleavedFrame.TryRead(ref reader, out _, out _);
                if (status == OperationStatus.NeedMoreData)
                {
                    break;
                }

                if (status == OperationStatus.InvalidData)
                {
                    throw new PushException("the server sent an invalid interleaved frame");
                }

                DiscardedFrames++;
                continue;
            }

            if (first is (byte)'\r' or (byte)'\n')
            {
                reader.Advance(1);
                continue;
            }

            var messageStatus = RtspParser.TryParseMessage(ref reader, out var message, out var error);
            if (messageStatus == OperationStatus.NeedMoreData)
            {
                break;
            }

            if (messageStatus == OperationStatus.InvalidData)
            {
                throw new PushException("the server sent a malformed RTSP message: " + error);
            }

            switch (message)
            {
                case RtspResponse response when response.CSeq is { } cseq && _pending.TryGetValue(cseq, out var pending):
                    pending.TrySetResult(response);
                    break;
                case RtspRequest request:
                    ServerRequest?.Invoke(request.Method, AnswerStatus(request.Method));
                    _ = AnswerServerRequestAsync(request);
                    break;
                default:
                    // An answer nobody waits for (a keep-alive that timed out): nothing to do.
                    break;
            }
        }

        return reader.Position;
    }

    /// <summary>Raised on the read loop when the server sends a request (method, our answer's status).</summary>
    public Action<string, int>? ServerRequest { get; set; }

    private static int AnswerStatus(string method) =>
        method is RtspMethods.GetParameter or RtspMethods.Options or RtspMethods.SetParameter ? 200 : 501;

    private async Task AnswerServerRequestAsync(RtspRequest request)
    {
        var response = new RtspResponse(AnswerStatus(request.Method));
        if (request.CSeq is { } cseq)
        {
            response.Headers.Add("CSeq", cseq.ToString(CultureInfo.InvariantCulture));
        }

        if (Session is { } session)
        {
            response.Headers.Add("Session", session);
        }

        try
        {
            await WriteAsync(response.Serialize(), _closed.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is PushException or OperationCanceledException or ObjectDisposedException)
        {
            // The read loop reports the broken connection.
        }
    }

    // A reason phrase is server text: keep logs one line and bounded.
    internal static string Printable(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        var span = text.AsSpan(0, Math.Min(text.Length, 80));
        return string.Create(span.Length, text, static (dest, source) =>
        {
            for (var i = 0; i < dest.Length; i++)
            {
                var c = source[i];
                dest[i] = char.IsControl(c) ? ' ' : c;
            }
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _closed.CancelAsync().ConfigureAwait(false);
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }

        if (_readLoop is not null)
        {
            await _readLoop.ConfigureAwait(false);
        }

        // Let a media send in flight fail or finish (the shutdown above ends it) before the socket goes away.
        var idle = await _writeLock.WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
        if (idle)
        {
            _gatherSend.Dispose();
            _writeLock.Release();
        }

        _closed.Dispose();
    }
}
