using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using StreamGateway.Protocols.Rtsp;

namespace StreamGateway.IntegrationTests.Push;

/// <summary>
/// A receiving server whose answers a test scripts: each request goes to <c>answer</c>, which returns the raw text to
/// send back (CSeq is filled in for "{cseq}") or null to close the connection. Interleaved frames from the client are
/// counted. Listens on 127.0.0.1, port 0; every loop is bounded by the connection's life and the test's disposal.
/// </summary>
internal sealed class ScriptedReceiver : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<RtspRequest, ScriptedReceiver, string?> _answer;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<RtspRequest> _requests = new();
    private readonly ConcurrentQueue<RtspResponse> _responses = new();
    private readonly ConcurrentBag<Socket> _clients = [];
    private readonly Task _accept;
    private long _frames;

    public ScriptedReceiver(Func<RtspRequest, ScriptedReceiver, string?> answer)
    {
        _answer = answer;
        _listener.Start();
        _accept = Task.Run(AcceptAsync);
    }

    public string Url(string path) => $"rtsp://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/{path}";

    public IReadOnlyList<RtspRequest> Requests => [.. _requests];

    /// <summary>Answers the client gave to requests the test sent it.</summary>
    public IReadOnlyList<RtspResponse> Responses => [.. _responses];

    public long FramesReceived => Interlocked.Read(ref _frames);

    /// <summary>Bytes the test wants pushed to every client (a receiver report, a server request).</summary>
    public async Task SendToClientsAsync(byte[] bytes)
    {
        foreach (var client in _clients)
        {
            await client.SendAsync(bytes, SocketFlags.None);
        }
    }

    /// <summary>A canned "200 OK" answer with extra header lines (each ending in CRLF).</summary>
    public static string Ok(string extraHeaders = "") => "RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\n" + extraHeaders + "\r\n";

    private async Task AcceptAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var socket = await _listener.AcceptSocketAsync(_stop.Token);
                _clients.Add(socket);
                _ = Task.Run(() => ServeAsync(socket));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        await using var stream = new NetworkStream(socket, ownsSocket: true);
        var reader = PipeReader.Create(stream);
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(_stop.Token);
                var buffer = result.Buffer;
                var (position, replies, close) = Handle(buffer);
                reader.AdvanceTo(position, buffer.End);
                foreach (var reply in replies)
                {
                    await socket.SendAsync(Encoding.UTF8.GetBytes(reply), SocketFlags.None, _stop.Token);
                }

                if (close || result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            await reader.CompleteAsync();
        }
    }

    private (SequencePosition Position, List<string> Replies, bool Close) Handle(ReadOnlySequence<byte> buffer)
    {
        var replies = new List<string>();
        var reader = new SequenceReader<byte>(buffer);
        while (reader.TryPeek(out var first))
        {
            if (first == InterleavedFrame.Magic)
            {
                if (InterleavedFrame.TryRead(ref reader, out _, out _) != OperationStatus.Done)
                {
                    break;
                }

                Interlocked.Increment(ref _frames);
                continue;
            }

            var status = RtspParser.TryParseMessage(ref reader, out var message, out _);
            if (status == OperationStatus.NeedMoreData)
            {
                break;
            }

            if (message is RtspResponse response)
            {
                _responses.Enqueue(response);
                continue;
            }

            if (status == OperationStatus.InvalidData || message is not RtspRequest request)
            {
                return (reader.Position, replies, true);
            }

            _requests.Enqueue(request);
            var answer = _answer(request, this);
            if (answer is null)
            {
                return (reader.Position, replies, true);
            }

            replies.Add(answer.Replace("{cseq}", request.CSeq?.ToString(CultureInfo.InvariantCulture) ?? "0", StringComparison.Ordinal));
        }

        return (reader.Position, replies, false);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        foreach (var client in _clients)
        {
            try
            {
                client.Shutdown(SocketShutdown.Both);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }
        }

        await _accept.WaitAsync(TimeSpan.FromSeconds(5));
        _stop.Dispose();
    }
}
