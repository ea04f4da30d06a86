using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using StreamGateway.Ingest;
using StreamGateway.Protocols.Rtsp;
using StreamGateway.Publish;
using StreamGateway.Relay;

namespace StreamGateway.Benchmarks;

/// <summary>
/// The gateway's real data path on loopback: a scripted camera (this class) answers OPTIONS to PLAY and then
/// writes interleaved frames on demand; the real CameraSession and RtspClientConnection read them through their
/// PipeReader into a real StreamHub; the real RtspServer serves K raw RTSP/TCP viewers (SETUP, PLAY) whose
/// RtspSession sender loops gather-send to loopback sockets, drained here. Only the connector (retry policy)
/// and the session's keep-alive/watchdog loop are left out: they run per second, not per packet.
/// </summary>
internal sealed class LoopbackRig : IAsyncDisposable
{
    private const int FrameLength = InterleavedFrame.HeaderLength + Packets.RtpLength;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private readonly byte[] _gop = Packets.InterleavedGop();
    private readonly ManualResetEventSlim _allDelivered = new(false);
    private readonly List<Socket> _viewerSockets = [];
    private readonly List<Task> _drainers = [];
    private readonly long[] _received;
    private readonly CancellationTokenSource _stop = new();
    private StreamHub _hub = null!;
    private RtspServer _server = null!;
    private CameraSession _session = null!;
    private Socket _camera = null!;
    private Task _cameraScript = Task.CompletedTask;
    private long _target;
    private int _waiting;
    private int _index;
    private ushort _sequence;
    private uint _timestamp;
    private long _sent;

    private LoopbackRig(int viewers) => _received = new long[viewers];

    public static async Task<LoopbackRig> StartAsync(int viewers)
    {
        var rig = new LoopbackRig(viewers);
        await rig.OpenAsync().ConfigureAwait(false);
        return rig;
    }

    /// <summary>The camera sends <paramref name="count"/> packets in one write; returns when every viewer has them all.</summary>
    public void SendAndWait(int count)
    {
        for (var i = 0; i < count;)
        {
            // One write per run of consecutive GOP packets (the GOP buffer is contiguous).
            var first = _index;
            var run = Math.Min(count - i, Packets.PacketsPerGop - first);
            for (var k = 0; k < run; k++)
            {
                NextNumbers(first + k);
            }

            _sent += run;
            Arm();
            var bytes = _gop.AsSpan(first * FrameLength, run * FrameLength);
            while (!bytes.IsEmpty)
            {
                bytes = bytes[_camera.Send(bytes)..];
            }

            Wait();
            i += run;
        }
    }

    private void NextNumbers(int index)
    {
        if (index % Packets.PacketsPerFrame == 0)
        {
            // Timestamps follow the wall clock (as a live camera's do) so RtpContinuity never sees a reset.
            var wall = (uint)(Stopwatch.GetTimestamp() * 90000.0 / Stopwatch.Frequency);
            _timestamp = (int)(wall - _timestamp) > 0 ? wall : _timestamp + 1;
        }

        Packets.Renumber(_gop, index, _sequence++, _timestamp);
        _index = (index + 1) % Packets.PacketsPerGop;
    }

    private void Arm()
    {
        _allDelivered.Reset();
        Volatile.Write(ref _waiting, _received.Length);
        Volatile.Write(ref _target, _sent * FrameLength);
    }

    private void Wait()
    {
        if (!_allDelivered.Wait(Timeout))
        {
            throw new TimeoutException(
                $"viewers got [{string.Join(", ", _received.Select(r => Interlocked.Read(ref r)))}] bytes, expected {_target} each; hub {_hub.GetStats()}");
        }
    }

    private async Task OpenAsync()
    {
        // The camera.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var cameraPort = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var accepted = listener.AcceptAsync();

        _hub = new StreamHub("bench/cam", pool: new RelayPacketPool());
        var source = new CameraSourceOptions { Path = "bench/cam", Source = new Uri($"rtsp://127.0.0.1:{cameraPort}/cam"), Transport = IngestTransport.Tcp };
        _session = new CameraSession(source, IngestTransport.Tcp, _hub, new IngestCounters(), NullLogger.Instance, TimeProvider.System,
            track => new RtpContinuity(0x53474157, track.ClockRate, TimeProvider.System));
        var open = _session.OpenAsync(_stop.Token);
        _camera = await accepted.ConfigureAwait(false);
        _camera.NoDelay = true;
        _cameraScript = AnswerCameraRequestsAsync(_camera, cameraPort);
        await open.WaitAsync(Timeout).ConfigureAwait(false);
        await _cameraScript.WaitAsync(Timeout).ConfigureAwait(false);
        _camera.Blocking = true;
        _hub.SetTracks(_session.Tracks);

        // The gateway's RTSP server and its viewers.
        _server = new RtspServer(new RtspServerOptions { BindAddress = IPAddress.Loopback, Port = 0 }, new OneHub(_hub), NullLoggerFactory.Instance);
        await _server.StartAsync(CancellationToken.None).ConfigureAwait(false);
        for (var i = 0; i < _received.Length; i++)
        {
            var viewer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveBufferSize = 1 << 20 };
            await viewer.ConnectAsync(_server.LocalEndPoint).ConfigureAwait(false);
            _viewerSockets.Add(viewer);
            var url = $"rtsp://127.0.0.1:{_server.LocalEndPoint.Port}/bench/cam";
            var (setup, _) = await RequestAsync(viewer, $"SETUP {url} RTSP/1.0\r\nCSeq: 1\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n").ConfigureAwait(false);
            var sessionLine = setup.Split("\r\n").Single(l => l.StartsWith("Session:", StringComparison.OrdinalIgnoreCase));
            var sessionId = sessionLine["Session:".Length..].Split(';')[0].Trim();
            var (play, extra) = await RequestAsync(viewer, $"PLAY {url} RTSP/1.0\r\nCSeq: 2\r\nSession: {sessionId}\r\n\r\n").ConfigureAwait(false);
            if (!play.StartsWith("RTSP/1.0 200", StringComparison.Ordinal))
            {
                throw new InvalidOperationException("PLAY failed: " + play);
            }

            _received[i] = extra;
            var index = i;
            _drainers.Add(Task.Run(() => DrainAsync(viewer, index)));
        }

        // First GOP: fills pools, queues and socket buffers; then the steady state starts. On a pool thread: this
        // method may be resuming on a socket engine thread (completions run inline, as in the gateway), which a
        // blocking wait would stall together with every socket it serves.
        await Task.Run(() => SendAndWait(Packets.PacketsPerGop)).ConfigureAwait(false);
    }

    /// <summary>Counts what a viewer receives; the last viewer to reach the target wakes the benchmark.</summary>
    private async Task DrainAsync(Socket viewer, int index)
    {
        var buffer = new byte[256 * 1024];
        long signalled = 0;
        try
        {
            while (true)
            {
                var n = await viewer.ReceiveAsync(buffer.AsMemory(), SocketFlags.None, _stop.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    return;
                }

                var total = Interlocked.Add(ref _received[index], n);
                var target = Volatile.Read(ref _target);
                if (total >= target && signalled != target)
                {
                    signalled = target;
                    if (Interlocked.Decrement(ref _waiting) == 0)
                    {
                        _allDelivered.Set();
                    }
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private static async Task<(string Response, int Extra)> RequestAsync(Socket socket, string request)
    {
        await socket.SendAsync(Encoding.ASCII.GetBytes(request)).ConfigureAwait(false);
        var buffer = new byte[64 * 1024];
        var length = 0;
        while (true)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(length)).AsTask().WaitAsync(Timeout).ConfigureAwait(false);
            if (n == 0)
            {
                throw new InvalidOperationException("server closed the connection");
            }

            length += n;
            var end = buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                // Media may follow the PLAY answer in the same read: it counts as received.
                return (Encoding.ASCII.GetString(buffer, 0, end), length - end - 4);
            }
        }
    }

    /// <summary>The camera's side of OPTIONS, DESCRIBE, SETUP and PLAY (one H.264 track over TCP).</summary>
    private static async Task AnswerCameraRequestsAsync(Socket camera, int port)
    {
        var buffer = new byte[16 * 1024];
        var length = 0;
        while (true)
        {
            int end;
            while ((end = buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8)) < 0)
            {
                var n = await camera.ReceiveAsync(buffer.AsMemory(length)).ConfigureAwait(false);
                if (n == 0)
                {
                    throw new InvalidOperationException("the gateway closed the camera connection during setup");
                }

                length += n;
            }

            var request = Encoding.ASCII.GetString(buffer, 0, end);
            buffer.AsSpan(end + 4, length - end - 4).CopyTo(buffer);
            length -= end + 4;
            var lines = request.Split("\r\n");
            var method = lines[0].Split(' ')[0];
            var cseq = lines.Single(l => l.StartsWith("CSeq:", StringComparison.OrdinalIgnoreCase))["CSeq:".Length..].Trim();
            var response = method switch
            {
                "OPTIONS" => Answer(cseq, "Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER\r\n"),
                "DESCRIBE" => Describe(cseq, port),
                "SETUP" => Answer(cseq, "Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\nSession: 5E55104;timeout=60\r\n"),
                "PLAY" => Answer(cseq, "Session: 5E55104\r\nRange: npt=0.000-\r\n"),
                _ => Answer(cseq, string.Empty),
            };
            await camera.SendAsync(Encoding.ASCII.GetBytes(response)).ConfigureAwait(false);
            if (method == "PLAY")
            {
                return;
            }
        }
    }

    private static string Answer(string cseq, string headers) => $"RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\n{headers}\r\n";

    private static string Describe(string cseq, int port)
    {
        var sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=bench\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\na=control:*\r\n"
            + "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\na=control:trackID=0\r\n";
        return Answer(cseq, $"Content-Base: rtsp://127.0.0.1:{port}/cam/\r\nContent-Type: application/sdp\r\nContent-Length: {sdp.Length}\r\n") + sdp;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _camera.Dispose(); // the session sees the camera gone and skips TEARDOWN
        try
        {
            await _session.DisposeAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // Known race: the read loop disposed the socket (camera gone) before Completion was set, and the
            // TEARDOWN attempt in CameraSession.DisposeAsync hit the disposed socket. Reported, not ours to fix here.
        }
        foreach (var viewer in _viewerSockets)
        {
            viewer.Dispose();
        }

        await _server.DisposeAsync().ConfigureAwait(false);
        _hub.Dispose();
        await Task.WhenAll(_drainers).WaitAsync(Timeout).ConfigureAwait(false);
        _allDelivered.Dispose();
        _stop.Dispose();
    }

    private sealed class OneHub(StreamHub hub) : IStreamResolver
    {
        public StreamHub? Resolve(string path) => path == hub.Path ? hub : null;
    }
}
