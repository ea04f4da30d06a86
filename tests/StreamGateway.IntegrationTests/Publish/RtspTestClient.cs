using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace StreamGateway.IntegrationTests.Publish;

/// <summary>One RTSP answer as the test client read it.</summary>
internal sealed record TestResponse(int Status, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

/// <summary>
/// A deliberately small RTSP client over a raw socket, for what players do not expose: status codes,
/// headers, and the first interleaved frames after PLAY. Every read is bounded by the given deadline.
/// </summary>
internal sealed class RtspTestClient : IAsyncDisposable
{
    private const int MaxBuffered = 1 << 20;

    private readonly TcpClient _client;
    private NetworkStream _stream = null!;
    private readonly CancellationTokenSource _deadline;
    private byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;
    private int _cseq;

    private RtspTestClient(TcpClient client, TimeSpan timeout)
    {
        _client = client;
        _deadline = new CancellationTokenSource(timeout);
    }

    public CancellationToken Deadline => _deadline.Token;

    public static async Task<RtspTestClient> ConnectAsync(string url, TimeSpan? timeout = null, int? receiveBufferSize = null)
    {
        var uri = new Uri(url);
        var client = new TcpClient();
        if (receiveBufferSize is { } size)
        {
            client.ReceiveBufferSize = size;
        }

        var result = new RtspTestClient(client, timeout ?? TimeSpan.FromSeconds(20));
        await client.ConnectAsync(uri.Host, uri.Port, result.Deadline);
        result._stream = client.GetStream();
        return result;
    }

    /// <summary>Sends a request with the next CSeq and returns its answer, skipping interleaved frames on the way.</summary>
    public async Task<TestResponse> RequestAsync(string method, string url, params string[] headers)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{method} {url} RTSP/1.0\r\nCSeq: {++_cseq}\r\n");
        foreach (var header in headers)
        {
            text.Append(header).Append("\r\n");
        }

        text.Append("\r\n");
        await SendRawAsync(text.ToString());
        return await ReadResponseAsync();
    }

    public async Task SendRawAsync(string text) => await _stream.WriteAsync(Encoding.ASCII.GetBytes(text), Deadline);

    public async Task SendRawAsync(byte[] bytes) => await _stream.WriteAsync(bytes, Deadline);

    /// <summary>Reads the next answer; interleaved frames before it are dropped.</summary>
    public async Task<TestResponse> ReadResponseAsync()
    {
        while (true)
        {
            await FillAsync(1);
            if (_buffer[_start] == (byte)'$')
            {
                await ReadFrameAsync();
                continue;
            }

            var headEnd = -1;
            while ((headEnd = IndexOfHeadEnd()) < 0)
            {
                await FillAsync(_end - _start + 1);
            }

            var head = Encoding.ASCII.GetString(_buffer, _start, headEnd - _start);
            _start = headEnd + 4;
            var lines = head.Split("\r\n");
            var status = int.Parse(lines[0].Split(' ', 3)[1], CultureInfo.InvariantCulture);
            var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var line in lines.Skip(1))
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                map[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }

            var length = map.TryGetValue("Content-Length", out var cl) ? int.Parse(cl, CultureInfo.InvariantCulture) : 0;
            await FillAsync(length);
            var body = Encoding.UTF8.GetString(_buffer, _start, length);
            _start += length;
            return new TestResponse(status, map, body);
        }
    }

    /// <summary>Reads the next interleaved frame: its channel and a copy of its payload.</summary>
    public async Task<(byte Channel, byte[] Payload)> ReadFrameAsync()
    {
        await FillAsync(4);
        if (_buffer[_start] != (byte)'$')
        {
            throw new InvalidDataException("expected an interleaved frame, got: " + Encoding.ASCII.GetString(_buffer, _start, Math.Min(40, _end - _start)));
        }

        var channel = _buffer[_start + 1];
        var length = (_buffer[_start + 2] << 8) | _buffer[_start + 3];
        await FillAsync(4 + length);
        var payload = _buffer.AsSpan(_start + 4, length).ToArray();
        _start += 4 + length;
        return (channel, payload);
    }

    /// <summary>True when the server closed the connection (read returned 0) before the deadline.</summary>
    public async Task<bool> WaitForCloseAsync()
    {
        try
        {
            while (true)
            {
                var read = await _stream.ReadAsync(new byte[4096], Deadline);
                if (read == 0)
                {
                    return true;
                }
            }
        }
        catch (IOException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private int IndexOfHeadEnd() => _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8) is var i and >= 0 ? _start + i : -1;

    private async Task FillAsync(int needed)
    {
        if (needed > MaxBuffered)
        {
            throw new InvalidDataException("message too large for the test client");
        }

        while (_end - _start < needed)
        {
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }

            if (_buffer.Length < needed)
            {
                Array.Resize(ref _buffer, Math.Max(needed, _buffer.Length * 2));
            }

            var read = await _stream.ReadAsync(_buffer.AsMemory(_end), Deadline);
            if (read == 0)
            {
                throw new EndOfStreamException("server closed the connection");
            }

            _end += read;
        }
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        _deadline.Dispose();
        return ValueTask.CompletedTask;
    }
}
