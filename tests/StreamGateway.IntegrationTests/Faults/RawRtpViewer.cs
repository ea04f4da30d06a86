using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace StreamGateway.IntegrationTests.Faults;

/// <summary>One RTP packet as the viewer received it: arrival on the test's clock and the header fields.</summary>
internal readonly record struct RtpArrival(TimeSpan At, uint Ssrc, ushort Sequence, uint Timestamp, bool Marker);

/// <summary>
/// A minimal RTSP player of its own (not the gateway's parsers, so a shared bug cannot hide): DESCRIBE, SETUP of
/// the first video track over TCP interleaved, PLAY, then records every RTP packet's arrival, SSRC, sequence
/// number and timestamp. Ends when the server closes the connection (recorded in <see cref="ClosedAt"/>).
/// </summary>
internal sealed class RawRtpViewer : IAsyncDisposable
{
    private const int MaxPacketsKept = 200_000;
    private const int MaxHeadBytes = 64 * 1024;

    private readonly TcpClient _client = new() { NoDelay = true };
    private readonly Stopwatch _clock;
    private readonly List<RtpArrival> _packets = [];
    private readonly CancellationTokenSource _stop = new();
    private Task _readLoop = Task.CompletedTask;
    private NetworkStream? _stream;
    private byte[] _buffer = new byte[128 * 1024];
    private int _start;
    private int _end;

    private RawRtpViewer(Stopwatch clock) => _clock = clock;

    /// <summary>Set when the server closed the connection or the read failed (or the viewer was disposed).</summary>
    public TimeSpan? ClosedAt { get; private set; }

    public string? CloseReason { get; private set; }

    public IReadOnlyList<RtpArrival> Packets
    {
        get
        {
            lock (_packets)
            {
                return [.. _packets];
            }
        }
    }

    public int PacketCount
    {
        get
        {
            lock (_packets)
            {
                return _packets.Count;
            }
        }
    }

    /// <summary>Connects and plays <paramref name="url"/>; returns once PLAY was answered 200.</summary>
    public static async Task<RawRtpViewer> PlayAsync(string url, Stopwatch clock, TimeSpan timeout)
    {
        var viewer = new RawRtpViewer(clock);
        try
        {
            using var cts = new CancellationTokenSource(timeout);
            await viewer.HandshakeAsync(new Uri(url), cts.Token);
        }
        catch
        {
            await viewer.DisposeAsync();
            throw;
        }

        viewer._readLoop = viewer.ReadLoopAsync();
        return viewer;
    }

    /// <summary>Waits (bounded) until a packet arrived after <paramref name="after"/>; returns its arrival time, or null.</summary>
    public async Task<TimeSpan?> WaitForPacketAfterAsync(TimeSpan after, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        while (true)
        {
            lock (_packets)
            {
                var index = _packets.FindIndex(p => p.At > after);
                if (index >= 0)
                {
                    return _packets[index].At;
                }
            }

            try
            {
                await timer.WaitForNextTickAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }
    }

    /// <summary>
    /// Every place the stream is not one continuous RTP stream: SSRC changes, sequence numbers that do not
    /// advance by 1..<paramref name="maxSequenceGap"/>, timestamps that go back or jump further than the wall
    /// time between the packets plus <paramref name="slack"/>. Empty when continuous.
    /// </summary>
    public static IReadOnlyList<string> FindDiscontinuities(IReadOnlyList<RtpArrival> packets, int clockRate, int maxSequenceGap, TimeSpan slack)
    {
        var problems = new List<string>();
        for (var i = 1; i < packets.Count && problems.Count < 20; i++)
        {
            var (a, b) = (packets[i - 1], packets[i]);
            if (a.Ssrc != b.Ssrc)
            {
                problems.Add($"#{i} at {b.At.TotalSeconds:0.000}s: SSRC {a.Ssrc:X8} -> {b.Ssrc:X8}");
            }

            var seqStep = (ushort)(b.Sequence - a.Sequence);
            if (seqStep == 0 || seqStep > maxSequenceGap)
            {
                problems.Add($"#{i} at {b.At.TotalSeconds:0.000}s: seq {a.Sequence} -> {b.Sequence} (step {seqStep})");
            }

            var tsStep = unchecked((int)(b.Timestamp - a.Timestamp));
            var allowed = (b.At - a.At + slack).TotalSeconds * clockRate;
            if (tsStep < 0 || tsStep > allowed)
            {
                problems.Add($"#{i} at {b.At.TotalSeconds:0.000}s: ts {a.Timestamp} -> {b.Timestamp} (step {tsStep}, wall {(b.At - a.At).TotalMilliseconds:0} ms)");
            }
        }

        return problems;
    }

    private async Task HandshakeAsync(Uri uri, CancellationToken ct)
    {
        await _client.ConnectAsync(uri.Host, uri.Port, ct);
        _stream = _client.GetStream();
        var url = uri.GetLeftPart(UriPartial.Path);

        var (status, headers, body) = await RequestAsync($"DESCRIBE {url} RTSP/1.0\r\nCSeq: 1\r\nAccept: application/sdp\r\n\r\n", ct);
        Expect(status, 200, "DESCRIBE");
        var baseUrl = (headers.GetValueOrDefault("content-base") ?? url).TrimEnd('/');
        var control = VideoControl(body) ?? throw new InvalidOperationException("the SDP has no video track: " + body);
        var setupUrl = control.StartsWith("rtsp://", StringComparison.OrdinalIgnoreCase) ? control : $"{baseUrl}/{control}";

        (status, headers, _) = await RequestAsync($"SETUP {setupUrl} RTSP/1.0\r\nCSeq: 2\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n", ct);
        Expect(status, 200, "SETUP");
        var session = (headers.GetValueOrDefault("session") ?? throw new InvalidOperationException("SETUP answer has no Session")).Split(';')[0].Trim();

        (status, _, _) = await RequestAsync($"PLAY {baseUrl} RTSP/1.0\r\nCSeq: 3\r\nSession: {session}\r\nRange: npt=0.000-\r\n\r\n", ct);
        Expect(status, 200, "PLAY");
    }

    private static void Expect(int status, int expected, string method)
    {
        if (status != expected)
        {
            throw new InvalidOperationException($"{method} answered {status}");
        }
    }

    /// <summary>The a=control of the first m=video section.</summary>
    private static string? VideoControl(string sdp)
    {
        var inVideo = false;
        foreach (var raw in sdp.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith("m=", StringComparison.Ordinal))
            {
                if (inVideo)
                {
                    return null;
                }

                inVideo = line.StartsWith("m=video", StringComparison.Ordinal);
            }
            else if (inVideo && line.StartsWith("a=control:", StringComparison.Ordinal))
            {
                return line["a=control:".Length..].Trim();
            }
        }

        return null;
    }

    private async Task<(int Status, Dictionary<string, string> Headers, string Body)> RequestAsync(string request, CancellationToken ct)
    {
        await _stream!.WriteAsync(Encoding.ASCII.GetBytes(request), ct);
        while (true)
        {
            // Skip interleaved frames that may precede the answer.
            if (_end - _start >= 4 && _buffer[_start] == (byte)'$')
            {
                var length = BinaryPrimitives.ReadUInt16BigEndian(_buffer.AsSpan(_start + 2));
                if (_end - _start >= 4 + length)
                {
                    _start += 4 + length;
                    continue;
                }
            }
            else if (_end > _start)
            {
                var text = Encoding.ASCII.GetString(_buffer, _start, _end - _start);
                var headEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                if (headEnd >= 0)
                {
                    var lines = text[..headEnd].Split("\r\n");
                    var status = int.Parse(lines[0].Split(' ')[1], CultureInfo.InvariantCulture);
                    var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                    foreach (var line in lines.Skip(1))
                    {
                        var colon = line.IndexOf(':', StringComparison.Ordinal);
                        if (colon > 0)
                        {
                            headers[line[..colon].Trim().ToLowerInvariant()] = line[(colon + 1)..].Trim();
                        }
                    }

                    var bodyLength = headers.TryGetValue("content-length", out var cl) ? int.Parse(cl, CultureInfo.InvariantCulture) : 0;
                    if (text.Length >= headEnd + 4 + bodyLength)
                    {
                        _start += headEnd + 4 + bodyLength;
                        return (status, headers, text.Substring(headEnd + 4, bodyLength));
                    }
                }
                else if (_end - _start > MaxHeadBytes)
                {
                    throw new InvalidDataException("RTSP answer head too long");
                }
            }

            await FillAsync(ct);
        }
    }

    private async Task FillAsync(CancellationToken ct)
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }

        var read = await _stream!.ReadAsync(_buffer.AsMemory(_end), ct);
        if (read == 0)
        {
            throw new EndOfStreamException("the server closed the connection");
        }

        _end += read;
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                if (_end - _start >= 4 && _buffer[_start] == (byte)'$')
                {
                    var channel = _buffer[_start + 1];
                    var length = BinaryPrimitives.ReadUInt16BigEndian(_buffer.AsSpan(_start + 2));
                    if (_end - _start >= 4 + length)
                    {
                        Record(channel, _buffer.AsSpan(_start + 4, length));
                        _start += 4 + length;
                        continue;
                    }
                }
                else if (_end - _start >= 4 && _buffer[_start] == (byte)'R')
                {
                    // An RTSP message in the media stream (we send no requests, so a server notice): skip its head.
                    var text = Encoding.ASCII.GetString(_buffer, _start, Math.Min(_end - _start, MaxHeadBytes));
                    var headEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                    if (headEnd >= 0)
                    {
                        _start += headEnd + 4;
                        continue;
                    }
                }
                else if (_end - _start >= 4)
                {
                    throw new InvalidDataException($"unexpected byte 0x{_buffer[_start]:X2} in the media stream");
                }

                await FillAsync(_stop.Token);
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or EndOfStreamException or InvalidDataException or ObjectDisposedException or OperationCanceledException)
        {
            CloseReason = ex.Message;
        }
        finally
        {
            ClosedAt = _clock.Elapsed;
        }
    }

    private void Record(byte channel, ReadOnlySpan<byte> packet)
    {
        if (channel != 0 || packet.Length < 12 || packet[0] >> 6 != 2)
        {
            return;
        }

        var arrival = new RtpArrival(
            _clock.Elapsed,
            BinaryPrimitives.ReadUInt32BigEndian(packet[8..]),
            BinaryPrimitives.ReadUInt16BigEndian(packet[2..]),
            BinaryPrimitives.ReadUInt32BigEndian(packet[4..]),
            (packet[1] & 0x80) != 0);
        lock (_packets)
        {
            if (_packets.Count < MaxPacketsKept)
            {
                _packets.Add(arrival);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _client.Dispose();
        await _readLoop.WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { }, TaskScheduler.Default);
        _stop.Dispose();
    }
}
