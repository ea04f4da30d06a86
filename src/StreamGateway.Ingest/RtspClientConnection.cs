using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net.Sockets;
using StreamGateway.Protocols.Auth;
using StreamGateway.Protocols.Rtsp;

namespace StreamGateway.Ingest;

/// <summary>Receives the interleaved frames of a TCP session; the payload is only valid during the call.</summary>
internal delegate void InterleavedFrameHandler(byte channel, in ReadOnlySequence<byte> payload);

/// <summary>
/// One RTSP control connection to a camera. A single read loop owns the socket's input: it completes
/// pending requests by CSeq and hands interleaved frames to <see cref="FrameHandler"/>, so requests
/// (keep-alives) can be sent while media flows on the same connection.
/// </summary>
internal sealed class RtspClientConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly PipeReader _reader;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<int, TaskCompletionSource<RtspResponse>> _pending = new();
    private readonly ClientAuthenticator? _authenticator;
    private readonly TimeSpan _requestTimeout;
    private readonly CancellationTokenSource _closed = new();
    private readonly TaskCompletionSource _readLoopEnded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _cseq;
    private Task? _readLoop;

    private RtspClientConnection(Socket socket, string? username, string? password, TimeSpan requestTimeout)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        // Zero-byte reads: wait for data before renting a buffer, so a camera between frames holds none (a 64 KB
        // buffer per camera was 6 MB of the heap at N=50); the buffers are shared through the array pool.
        _reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, useZeroByteReads: true));
        _requestTimeout = requestTimeout;
        if (!string.IsNullOrEmpty(username))
        {
            _authenticator = new ClientAuthenticator(username, password ?? string.Empty);
        }
    }

    /// <summary>Set before PLAY; called on the read loop for every interleaved frame.</summary>
    public InterleavedFrameHandler? FrameHandler { get; set; }

    /// <summary>Completes when the connection is lost or closed; faulted with the reason when lost.</summary>
    public Task Completion => _readLoopEnded.Task;

    /// <summary>Bytes of interleaved frames that were not RTSP messages nor frames (counted, skipped).</summary>
    public long MalformedInputs { get; private set; }

    public string? AuthenticationScheme => _authenticator?.Scheme;

    /// <summary>The camera's address as seen on the control connection.</summary>
    public System.Net.IPAddress RemoteAddress
    {
        get
        {
            var address = ((System.Net.IPEndPoint)_socket.RemoteEndPoint!).Address;
            return address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        }
    }

    public static async Task<RtspClientConnection> ConnectAsync(
        Uri source, string? username, string? password, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var port = source.IsDefaultPort || source.Port <= 0 ? 554 : source.Port;
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeoutCts.CancelAfter(timeout);
            await socket.ConnectAsync(source.DnsSafeHost, port, timeoutCts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new RtspClientException($"connect to {source.Host}:{port} timed out after {timeout.TotalSeconds:0.#} s");
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new RtspClientException($"connect to {source.Host}:{port} failed: {ex.SocketErrorCode}", inner: ex);
        }

        var connection = new RtspClientConnection(socket, username, password, timeout);
        connection._readLoop = connection.ReadLoopAsync();
        return connection;
    }

    /// <summary>
    /// Sends a request and awaits its response. A 401 is answered once with credentials (Basic or
    /// Digest, whichever the camera offers) when the source has them.
    /// </summary>
    public async Task<RtspResponse> SendAsync(string method, string uri, Action<RtspHeaders>? addHeaders, CancellationToken cancellationToken)
    {
        var response = await SendOnceAsync(method, uri, addHeaders, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == 401 && _authenticator is not null)
        {
            var challenges = response.Headers.GetAll("WWW-Authenticate").ToList();
            if (challenges.Count > 0 && _authenticator.TryAccept(challenges))
            {
                response = await SendOnceAsync(method, uri, addHeaders, cancellationToken).ConfigureAwait(false);
            }
        }

        return response;
    }

    private async Task<RtspResponse> SendOnceAsync(string method, string uri, Action<RtspHeaders>? addHeaders, CancellationToken cancellationToken)
    {
        var request = new RtspRequest(method, uri);
        var cseq = Interlocked.Increment(ref _cseq);
        request.Headers.Add("CSeq", cseq.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("User-Agent", "StreamGateway");
        var authorization = _authenticator?.CreateAuthorization(method, uri);
        if (authorization is not null)
        {
            request.Headers.Add("Authorization", authorization);
        }

        addHeaders?.Invoke(request.Headers);

        var pending = new TaskCompletionSource<RtspResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[cseq] = pending;
        try
        {
            await WriteAsync(request.Serialize(), cancellationToken).ConfigureAwait(false);
            return await pending.Task.WaitAsync(_requestTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new RtspClientException($"{method} got no answer within {_requestTimeout.TotalSeconds:0.#} s");
        }
        finally
        {
            _pending.TryRemove(cseq, out _);
        }
    }

    /// <summary>Writes raw bytes (a request or an interleaved RTCP frame), serialised with other writers.</summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _socket.SendAsync(bytes, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            throw new RtspClientException($"connection lost while sending: {ex.SocketErrorCode}", inner: ex);
        }
        catch (ObjectDisposedException ex)
        {
            // The read loop saw the camera close and disposed the socket first.
            throw new RtspClientException("connection closed", inner: ex);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task ReadLoopAsync()
    {
        Exception? failure = null;
        try
        {
            while (true)
            {
                var result = await _reader.ReadAsync(_closed.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                var consumed = Dispatch(ref buffer);
                _reader.AdvanceTo(consumed, buffer.End);

                if (result.IsCompleted)
                {
                    failure = new RtspClientException("camera closed the connection");
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (_closed.IsCancellationRequested)
        {
        }
        catch (RtspClientException ex)
        {
            failure = ex;
        }
        catch (IOException ex)
        {
            failure = new RtspClientException("connection lost: " + (ex.InnerException?.Message ?? ex.Message), inner: ex);
        }
        catch (SocketException ex)
        {
            failure = new RtspClientException($"connection lost: {ex.SocketErrorCode}", inner: ex);
        }
        catch (Exception ex)
        {
            failure = ex;
        }
        finally
        {
            await _reader.CompleteAsync().ConfigureAwait(false);
        }

        var reason = failure ?? new RtspClientException("connection closed");
        foreach (var pending in _pending.Values)
        {
            pending.TrySetException(reason);
        }

        if (failure is null)
        {
            _readLoopEnded.TrySetResult();
        }
        else
        {
            _readLoopEnded.TrySetException(failure);
        }
    }

    /// <summary>Parses every complete frame and message in the buffer; returns how far it consumed.</summary>
    private SequencePosition Dispatch(ref ReadOnlySequence<byte> buffer)
    {
        var reader = new SequenceReader<byte>(buffer);
        while (!reader.End)
        {
            if (reader.TryPeek(out var first) && first == InterleavedFrame.Magic)
            {
                var status = InterleavedFrame.TryRead(ref reader, out var channel, out var payload);
                if (status == OperationStatus.NeedMoreData)
                {
                    break;
                }

                if (status == OperationStatus.InvalidData)
                {
                    throw new RtspClientException("camera sent an invalid interleaved frame");
                }

                FrameHandler?.Invoke(channel, payload);
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
                throw new RtspClientException("camera sent a malformed RTSP message: " + error);
            }

            switch (message)
            {
                case RtspResponse response when response.CSeq is { } cseq && _pending.TryGetValue(cseq, out var pending):
                    pending.TrySetResult(response);
                    break;
                case RtspRequest request:
                    // Cameras rarely send requests (e.g. ANNOUNCE, GET_PARAMETER); answer so they do not wait.
                    _ = AnswerServerRequestAsync(request);
                    break;
                default:
                    MalformedInputs++;
                    break;
            }
        }

        return reader.Position;
    }

    private async Task AnswerServerRequestAsync(RtspRequest request)
    {
        var response = new RtspResponse(request.Method == RtspMethods.GetParameter || request.Method == RtspMethods.Options ? 200 : 501);
        if (request.CSeq is { } cseq)
        {
            response.Headers.Add("CSeq", cseq.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        try
        {
            await WriteAsync(response.Serialize(), _closed.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RtspClientException or OperationCanceledException or ObjectDisposedException)
        {
            // The read loop reports the broken connection.
        }
    }

    public async ValueTask DisposeAsync()
    {
        _closed.Cancel();
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }

        if (_readLoop is not null)
        {
            await _readLoop.ConfigureAwait(false);
        }

        await _stream.DisposeAsync().ConfigureAwait(false);
        _closed.Dispose();
        _writeLock.Dispose();
    }
}
