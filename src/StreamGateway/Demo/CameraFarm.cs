using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using StreamGateway.Protocols.Codecs;
using StreamGateway.Protocols.Rtp;
using StreamGateway.Protocols.Sdp;
using StreamGateway.Publish;
using StreamGateway.Relay;

namespace StreamGateway.Demo;

/// <summary>
/// Many cheap replay cameras in one process, for load tests: cameras <c>cam1..camN</c> all replay the same
/// clip, packetized once at start, served by one <see cref="RtspServer"/> on loopback. One timer drives every
/// camera; cameras are spread over the frame interval so the load is smooth, not a burst every 40 ms.
/// Each camera has its own SSRC, sequence numbers and timestamps (continuous across loops of the clip), and
/// starts at its own point of the clip, so keyframes are out of step as those of independent cameras are
/// (unless asked for aligned keyframes: every camera's keyframe in the same frame interval, the worst case).
/// </summary>
internal sealed class CameraFarm : IAsyncDisposable, IStreamResolver
{
    private const int Slots = 8;
    private const int MaxCatchUpFrames = 5;
    private const uint ClockRate = 90000;

    private readonly FrameTemplate[] _frames;
    private readonly FarmCamera[] _cameras;
    private readonly Dictionary<string, FarmCamera> _byPath;
    private readonly double _framesPerSecond;
    private readonly RelayPacketPool _pool = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly ILoggerFactory _loggerFactory;
    private RtspServer? _server;
    private Task _loop = Task.CompletedTask;

    private CameraFarm(FrameTemplate[] frames, IReadOnlyList<TrackDescription> tracks, int cameras, double framesPerSecond, bool alignedKeyframes, ILoggerFactory loggerFactory)
    {
        _frames = frames;
        _framesPerSecond = framesPerSecond;
        _loggerFactory = loggerFactory;
        _cameras = new FarmCamera[cameras];
        _byPath = new Dictionary<string, FarmCamera>(StringComparer.Ordinal);
        for (var i = 0; i < cameras; i++)
        {
            var hub = new StreamHub($"cam{i + 1}", pool: _pool);
            hub.SetTracks(tracks);
            _cameras[i] = new FarmCamera(
                hub,
                BitConverter.ToUInt32(RandomNumberGenerator.GetBytes(4)),
                (ushort)RandomNumberGenerator.GetInt32(ushort.MaxValue + 1),
                BitConverter.ToUInt32(RandomNumberGenerator.GetBytes(4)),
                i % Slots,
                alignedKeyframes ? 0 : ClipPhase(i, frames.Length));
            _byPath.Add(hub.Path, _cameras[i]);
        }
    }

    /// <summary>The server's endpoint once started.</summary>
    public IPEndPoint LocalEndPoint => _server?.LocalEndPoint ?? throw new InvalidOperationException("The camera farm has not been started.");

    public int CameraCount => _cameras.Length;

    public StreamHub? Resolve(string path) => _byPath.TryGetValue(path, out var camera) ? camera.Hub : null;

    /// <summary>Loads and packetizes the clip once; the cameras share its packets.</summary>
    public static async Task<CameraFarm> CreateAsync(string h264Path, int cameras, double framesPerSecond, bool alignedKeyframes, ILoggerFactory loggerFactory)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cameras, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(cameras, 10000);

        // The replay camera already knows how to describe a clip (SPS/PPS into the fmtp): reuse its track.
        IReadOnlyList<TrackDescription> tracks;
        var template = ReplayCamera.FromAnnexBFile(h264Path, "template", framesPerSecond, loggerFactory);
        await using (template.ConfigureAwait(false))
        {
            tracks = template.Hub.Tracks!;
        }

        var packetizer = new H264Packetizer(96, 0, 0);
        var frames = new List<FrameTemplate>();
        foreach (var accessUnit in H264AccessUnits.Split(File.ReadAllBytes(h264Path)))
        {
            var packets = new List<byte[]>();
            packetizer.Packetize(accessUnit, 0, rtp => packets.Add(rtp.ToArray()));
            var keyframe = packets.Count > 0
                && RtpHeader.TryParse(packets[0], out var header)
                && KeyframeDetector.IsKeyframeStart("H264", RtpHeader.GetPayload(packets[0], header));
            frames.Add(new FrameTemplate([.. packets], keyframe));
        }

        return new CameraFarm([.. frames], tracks, cameras, framesPerSecond, alignedKeyframes, loggerFactory);
    }

    /// <summary>
    /// Where camera <paramref name="index"/> starts in the clip: golden-ratio steps spread any number of cameras
    /// evenly over the clip, and so over its GOP.
    /// </summary>
    internal static int ClipPhase(int index, int clipFrames)
    {
        var fraction = (index * 0.6180339887498949) % 1.0;
        return (int)(fraction * clipFrames);
    }

    public async Task StartAsync(int port, CancellationToken cancellationToken)
    {
        _server = new RtspServer(
            new RtspServerOptions
            {
                BindAddress = IPAddress.Loopback,
                Port = port,
                ServerName = "StreamGateway camera farm",
                MaxConnections = 20000,
                MaxConnectionsPerClientAddress = 20000,
            },
            this,
            _loggerFactory);
        await _server.StartAsync(cancellationToken).ConfigureAwait(false);
        _loop = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var frameTicks = Stopwatch.Frequency / _framesPerSecond;
        var slotTicks = frameTicks / Slots;
        var start = Stopwatch.GetTimestamp();
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1 / _framesPerSecond / Slots));
        try
        {
            do
            {
                var elapsed = Stopwatch.GetTimestamp() - start;
                foreach (var camera in _cameras)
                {
                    // Frames due for this camera by now; a late tick catches up a few frames, never unboundedly.
                    var due = (long)Math.Floor((elapsed - (camera.Slot * slotTicks)) / frameTicks) + 1;
                    if (due - camera.NextFrame > MaxCatchUpFrames)
                    {
                        camera.NextFrame = due - MaxCatchUpFrames;
                    }

                    while (camera.NextFrame < due)
                    {
                        PublishFrame(camera);
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private void PublishFrame(FarmCamera camera)
    {
        var frame = _frames[(int)((camera.NextFrame + camera.ClipPhase) % _frames.Length)];
        var timestamp = unchecked(camera.TimestampBase + (uint)(long)Math.Round(camera.NextFrame * ClockRate / _framesPerSecond));
        var now = Stopwatch.GetTimestamp();
        for (var i = 0; i < frame.Packets.Length; i++)
        {
            var rtp = frame.Packets[i];
            var packet = _pool.Rent(rtp.Length);
            try
            {
                var span = packet.Buffer.Span;
                rtp.CopyTo(span);
                BinaryPrimitives.WriteUInt16BigEndian(span[2..], camera.Sequence++);
                BinaryPrimitives.WriteUInt32BigEndian(span[4..], timestamp);
                BinaryPrimitives.WriteUInt32BigEndian(span[8..], camera.Ssrc);
                packet.Length = rtp.Length;
                packet.TrackIndex = 0;
                packet.IsRtcp = false;
                packet.RtpTimestamp = timestamp;
                packet.ReceivedAt = now;
                packet.IsKeyframeStart = i == 0 && frame.IsKeyframe;
                camera.Hub.Publish(packet, wakeSubscribers: false);
            }
            finally
            {
                packet.Release();
            }
        }

        // One wake-up per frame, as an encoder hands over a whole frame: the frame leaves in one gathered send
        // instead of a send per packet, which keeps the load generator cheap.
        camera.Hub.WakeSubscribers();
        camera.NextFrame++;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var camera in _cameras)
        {
            camera.Hub.Dispose();
        }

        _stop.Dispose();
    }

    private sealed record FrameTemplate(byte[][] Packets, bool IsKeyframe);

    private sealed class FarmCamera(StreamHub hub, uint ssrc, ushort sequence, uint timestampBase, int slot, int clipPhase)
    {
        public StreamHub Hub { get; } = hub;

        public uint Ssrc { get; } = ssrc;

        public uint TimestampBase { get; } = timestampBase;

        public int Slot { get; } = slot;

        /// <summary>The clip frame this camera started at.</summary>
        public int ClipPhase { get; } = clipPhase;

        public ushort Sequence { get; set; } = sequence;

        public long NextFrame { get; set; }
    }
}
