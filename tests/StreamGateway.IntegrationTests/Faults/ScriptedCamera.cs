using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace StreamGateway.IntegrationTests.Faults;

/// <summary>One request the scripted camera received.</summary>
internal sealed record ScriptedRequest(int Connection, string Method, string Uri, int CSeq, IReadOnlyDictionary<string, string> Headers);

/// <summary>
/// The scripted camera's side of one connection: write anything (valid or not). Writes fail once the
/// client has gone, which ends the script.
/// </summary>
internal sealed class ScriptedConnection(NetworkStream stream, CancellationToken stopping)
{
    public CancellationToken Stopping => stopping;

    public Task WriteAsync(string text) => WriteAsync(Encoding.ASCII.GetBytes(text));

    public async Task WriteAsync(ReadOnlyMemory<byte> bytes) => await stream.WriteAsync(bytes, stopping);

    /// <summary>A response with CSeq echoed, the given headers, and Content-Length when there is a body.</summary>
    public Task RespondAsync(ScriptedRequest request, int status, string reason, string headers = "", string? body = null)
    {
        var text = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"RTSP/1.0 {status} {reason}\r\nCSeq: {request.CSeq}\r\n")
            .Append(headers);
        if (body is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"Content-Length: {Encoding.ASCII.GetByteCount(body)}\r\n\r\n").Append(body);
        }
        else
        {
            text.Append("\r\n");
        }

        return WriteAsync(text.ToString());
    }
}

/// <summary>
/// What the camera does with one request. Return true to keep reading requests on the connection, false
/// to close it. A script may write before it answers, write for long (bounded by <see cref="ScriptedConnection.Stopping"/>,
/// its own count, and the client closing), or never answer.
/// </summary>
internal delegate Task<bool> CameraScript(ScriptedRequest request, ScriptedConnection connection);

/// <summary>
/// A fake camera on 127.0.0.1 that answers every RTSP request from a script, so tests can present the
/// malformed answers real cameras produce. Reads requests with a small bounded parser of its own (skipping
/// interleaved frames the client sends); records every request and connection.
/// </summary>
internal sealed class ScriptedCamera : IAsyncDisposable
{
    private const int MaxHeadBytes = 16 * 1024;
    private const int MaxConnections = 256;

    private readonly CameraScript _script;
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<ScriptedRequest> _requests = [];
    private readonly List<Task> _connections = [];
    private readonly Task _acceptLoop;
    private int _connectionCount;

    private ScriptedCamera(CameraScript script)
    {
        _script = script;
        _listener.Start();
        _acceptLoop = AcceptLoopAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int ConnectionCount => Volatile.Read(ref _connectionCount);

    public IReadOnlyList<ScriptedRequest> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    public static ScriptedCamera Start(CameraScript script) => new(script);

    public string Url(string path, string? user = null, string? password = null) =>
        user is null ? $"rtsp://127.0.0.1:{Port}/{path}" : $"rtsp://{user}:{password}@127.0.0.1:{Port}/{path}";

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return;
            }

            var number = Interlocked.Increment(ref _connectionCount);
            if (number > MaxConnections)
            {
                client.Dispose();
                continue;
            }

            lock (_connections)
            {
                _connections.Add(ServeAsync(client, number));
            }
        }
    }

    private async Task ServeAsync(TcpClient client, int number)
    {
        using (client)
        {
            client.NoDelay = true;
            var stream = client.GetStream();
            var connection = new ScriptedConnection(stream, _stop.Token);
            var buffer = new byte[MaxHeadBytes * 2];
            var length = 0;
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    var (request, consumed) = TryParse(buffer.AsSpan(0, length), number);
                    if (consumed > 0)
                    {
                        Buffer.BlockCopy(buffer, consumed, buffer, 0, length - consumed);
                        length -= consumed;
                    }

                    if (request is not null)
                    {
                        lock (_requests)
                        {
                            _requests.Add(request);
                        }

                        if (!await _script(request, connection))
                        {
                            return;
                        }

                        continue;
                    }

                    if (consumed > 0)
                    {
                        continue;
                    }

                    if (length == buffer.Length)
                    {
                        return; // a request head beyond our limit: not a client we test with
                    }

                    var read = await stream.ReadAsync(buffer.AsMemory(length), _stop.Token);
                    if (read == 0)
                    {
                        return;
                    }

                    length += read;
                }
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
            {
                // The client left or we are stopping.
            }
        }
    }

    /// <summary>One request (or one interleaved frame to skip: consumed > 0, request null), or nothing yet.</summary>
    private static (ScriptedRequest? Request, int Consumed) TryParse(ReadOnlySpan<byte> data, int connection)
    {
        if (data.Length >= 4 && data[0] == (byte)'$')
        {
            var frame = 4 + ((data[2] << 8) | data[3]);
            return (null, data.Length >= frame ? frame : 0);
        }

        var end = data.IndexOf("\r\n\r\n"u8);
        if (end < 0)
        {
            return (null, 0);
        }

        var lines = Encoding.ASCII.GetString(data[..end]).Split("\r\n");
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
        }

        var bodyLength = headers.TryGetValue("Content-Length", out var cl) && int.TryParse(cl, CultureInfo.InvariantCulture, out var n) ? n : 0;
        if (data.Length < end + 4 + bodyLength)
        {
            return (null, 0);
        }

        var start = lines[0].Split(' ');
        var cseq = headers.TryGetValue("CSeq", out var c) && int.TryParse(c, CultureInfo.InvariantCulture, out var parsed) ? parsed : 0;
        return (new ScriptedRequest(connection, start[0], start.Length > 1 ? start[1] : "", cseq, headers), end + 4 + bodyLength);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Task[] connections;
        lock (_connections)
        {
            connections = [.. _connections];
        }

        try
        {
            await Task.WhenAll(connections.Append(_acceptLoop)).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
            // A script ignoring Stopping; its socket closes with the process.
        }

        _stop.Dispose();
    }
}

/// <summary>The malformed cameras of the fault tests, each a script. Paths and SDP are those of a plain H.264 camera.</summary>
internal static class BadCameras
{
    /// <summary>A minimal but valid H.264 SDP (the parameter sets do not matter: no decodable media follows).</summary>
    public const string ValidSdp =
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=scripted\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\n" +
        "a=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1;profile-level-id=42C01E;sprop-parameter-sets=Z0LAHtkBQBbsBEAAAAMAQAAADIPFi5I=,aMuMsg==\r\n" +
        "a=control:trackID=0\r\n";

    private const int MediaFrames = 3000; // 60 s at 50 frames a second: bounded even if the client never leaves
    private static readonly TimeSpan MediaInterval = TimeSpan.FromMilliseconds(20);

    /// <summary>The table: name → script. Names are what the theory shows.</summary>
    public static CameraScript Get(string name) => name switch
    {
        "HTTP status line" => Always((r, c) => c.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), keepOpen: true),
        "binary garbage status line" => Always((r, c) => c.WriteAsync(RandomNoCrLf(600)), keepOpen: true),
        "Content-Length larger than sent, then close" => OnDescribe(async (r, c) =>
        {
            await c.WriteAsync($"RTSP/1.0 200 OK\r\nCSeq: {r.CSeq}\r\nContent-Type: application/sdp\r\nContent-Length: 2000\r\n\r\n{ValidSdp[..60]}");
            return false;
        }),
        "10 MB Content-Length" => OnDescribe(async (r, c) =>
        {
            await c.WriteAsync($"RTSP/1.0 200 OK\r\nCSeq: {r.CSeq}\r\nContent-Type: application/sdp\r\nContent-Length: 10485760\r\n\r\n");
            var chunk = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("a=x-filler:0123456789abcdef0123456789abcdef\r\n", 1400)));
            for (var sent = 0; sent < 10 * 1024 * 1024; sent += chunk.Length)
            {
                await c.WriteAsync(chunk); // ends when the client gives up (write fails) or 10 MB went out
            }

            return true;
        }),
        "SDP with no media" => OnDescribe(async (r, c) =>
        {
            await c.RespondAsync(r, 200, "OK", "Content-Type: application/sdp\r\n", "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=no media\r\nt=0 0\r\n");
            return true;
        }),
        "SDP garbage" => OnDescribe(async (r, c) =>
        {
            var body = RandomNoCrLf(700);
            await c.WriteAsync($"RTSP/1.0 200 OK\r\nCSeq: {r.CSeq}\r\nContent-Type: application/sdp\r\nContent-Length: {body.Length}\r\n\r\n");
            await c.WriteAsync(body);
            return true;
        }),
        "endless headers" => Always(async (r, c) =>
        {
            await c.WriteAsync($"RTSP/1.0 200 OK\r\nCSeq: {r.CSeq}\r\n");
            for (var i = 0; i < 1_000_000; i++)
            {
                await c.WriteAsync(string.Create(CultureInfo.InvariantCulture, $"X-Filler-{i}: {i}\r\n"));
            }
        }, keepOpen: false),
        "401 loop with a fresh nonce" => Always((r, c) => c.RespondAsync(
            r,
            401,
            "Unauthorized",
            $"WWW-Authenticate: Digest realm=\"cam\", nonce=\"{Convert.ToHexString(RandomNumberGenerator.GetBytes(16))}\"\r\nWWW-Authenticate: Basic realm=\"cam\"\r\n"), keepOpen: true),
        "interleaved frames too short for RTP" => AfterPlay(n => (n % 2) switch
        {
            0 => new byte[] { (byte)'$', 0, 0, 3, 0x80, 0x60, 0x00 },             // 3 bytes: no room for an RTP header
            _ => new byte[] { (byte)'$', 0, 0, 8, 0x80, 0x60, 0, 1, 0, 0, 0, 1 }, // header cut short (8 of 12 bytes)
        }),
        "zero-length interleaved frames" => AfterPlay(_ => [(byte)'$', 0, 0, 0]),
        "RTP with a wrong version" => AfterPlay(n => Frame(0, Rtp(n, firstByte: 0x40, padding: null))),
        "RTP with bad padding" => AfterPlay(n => Frame(0, Rtp(n, firstByte: 0xA0, padding: 250))),
        "RTCP garbage" => AfterPlay(n => Frame(1, RandomNoCrLf(40))),
        _ => throw new ArgumentException($"no bad camera named '{name}'", nameof(name)),
    };

    /// <summary>Every request gets <paramref name="answer"/>.</summary>
    private static CameraScript Always(Func<ScriptedRequest, ScriptedConnection, Task> answer, bool keepOpen) => async (r, c) =>
    {
        await answer(r, c);
        return keepOpen;
    };

    /// <summary>A valid camera up to DESCRIBE, which <paramref name="describe"/> answers.</summary>
    private static CameraScript OnDescribe(CameraScript describe) => async (r, c) =>
    {
        if (r.Method == "DESCRIBE")
        {
            return await describe(r, c);
        }

        return await AnswerValid(r, c);
    };

    /// <summary>A valid camera through PLAY; then <paramref name="frame"/>(n) every 20 ms, bounded, until the client leaves.</summary>
    private static CameraScript AfterPlay(Func<int, byte[]> frame) => async (r, c) =>
    {
        if (!await AnswerValid(r, c) || r.Method != "PLAY")
        {
            return true;
        }

        for (var n = 0; n < MediaFrames; n++)
        {
            await c.WriteAsync(frame(n));
            await Task.Delay(MediaInterval, c.Stopping);
        }

        return false;
    };

    /// <summary>What a plain H.264 camera answers (TCP interleaved only).</summary>
    private static async Task<bool> AnswerValid(ScriptedRequest r, ScriptedConnection c)
    {
        const string Session = "Session: 5A17F00D;timeout=60\r\n";
        switch (r.Method)
        {
            case "OPTIONS":
                await c.RespondAsync(r, 200, "OK", "Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER\r\n");
                return true;
            case "DESCRIBE":
                await c.RespondAsync(r, 200, "OK", $"Content-Type: application/sdp\r\nContent-Base: {r.Uri.TrimEnd('/')}/\r\n", ValidSdp);
                return true;
            case "SETUP":
                await c.RespondAsync(r, 200, "OK", "Transport: RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=1234ABCD\r\n" + Session);
                return true;
            case "PLAY":
            case "GET_PARAMETER":
                await c.RespondAsync(r, 200, "OK", Session);
                return true;
            case "TEARDOWN":
                await c.RespondAsync(r, 200, "OK");
                return false;
            default:
                await c.RespondAsync(r, 501, "Not Implemented");
                return true;
        }
    }

    private static byte[] Frame(byte channel, byte[] payload) =>
        [(byte)'$', channel, (byte)(payload.Length >> 8), (byte)payload.Length, .. payload];

    /// <summary>A 112-byte RTP packet with the given first byte; with padding, its last byte claims that many padding bytes.</summary>
    private static byte[] Rtp(int n, byte firstByte, byte? padding)
    {
        var packet = new byte[112];
        packet[0] = firstByte;
        packet[1] = 96;
        packet[2] = (byte)(n >> 8);
        packet[3] = (byte)n;
        var ts = (uint)(n * 3600);
        packet[4] = (byte)(ts >> 24);
        packet[5] = (byte)(ts >> 16);
        packet[6] = (byte)(ts >> 8);
        packet[7] = (byte)ts;
        packet[8] = 0x12;
        packet[9] = 0x34;
        packet[10] = 0xAB;
        packet[11] = 0xCD;
        packet[12] = 0x65; // an IDR slice NAL header, so it looks like media worth relaying
        if (padding is { } p)
        {
            packet[^1] = p;
        }

        return packet;
    }

    /// <summary>Random bytes without CR, LF or '$' (a parser must not find a line end or a frame start in them).</summary>
    private static byte[] RandomNoCrLf(int length)
    {
        var bytes = RandomNumberGenerator.GetBytes(length);
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] is (byte)'\r' or (byte)'\n' or (byte)'$')
            {
                bytes[i] = 0xFF;
            }
        }

        return bytes;
    }
}
