using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging.Abstractions;
using StreamGateway.Protocols.Codecs;
using StreamGateway.Protocols.Rtp;
using StreamGateway.Protocols.Sdp;
using StreamGateway.Publish;
using StreamGateway.Relay;

namespace StreamGateway.IntegrationTests.Faults;

/// <summary>
/// A camera in the test process that replays the demo H.264 clip at 25 fps into its own hub (with a private
/// packet pool, so the gateway's shared pool counts only the gateway) and can be told to restart its RTP
/// timeline as a rebooted camera does: new SSRC, new random sequence number and timestamp bases, and the
/// clip from its first (key) frame. Serve it with <see cref="InProcessCameraServer"/>.
/// </summary>
internal sealed class ClipCamera : IAsyncDisposable
{
    private const byte PayloadType = 96;
    private const int ClockRate = 90000;
    private const double FramesPerSecond = 25;

    private static readonly Lazy<(IReadOnlyList<IReadOnlyList<ReadOnlyMemory<byte>>> Units, string Fmtp)> Clip = new(LoadClip);

    private readonly CancellationTokenSource _stop = new();
    private readonly Action<ReadOnlyMemory<byte>> _emit;
    private H264Packetizer _packetizer;
    private uint _timestampBase;
    private long _frameAtRestart;
    private int _restartRequested;
    private uint _timestamp;
    private Task _loop = Task.CompletedTask;

    private ClipCamera(string path)
    {
        Hub = new StreamHub(path, pool: new RelayPacketPool());
        Hub.SetTracks(
        [
            new TrackDescription
            {
                Index = 0,
                Kind = MediaKind.Video,
                PayloadType = PayloadType,
                EncodingName = "H264",
                ClockRate = ClockRate,
                Fmtp = Clip.Value.Fmtp,
                ControlUrl = "trackID=0",
            },
        ]);
        _packetizer = NewPacketizer();
        _timestampBase = RandomBase();
        _emit = Publish;
    }

    public StreamHub Hub { get; }

    /// <summary>The SSRC of the current timeline.</summary>
    public uint Ssrc => _packetizer.Ssrc;

    public static ClipCamera Start(string path)
    {
        var camera = new ClipCamera(path);
        camera._loop = Task.Run(camera.RunAsync);
        return camera;
    }

    /// <summary>From the next frame on: new SSRC, sequence number and timestamp bases (a reboot's RTP).</summary>
    public void RestartTimeline() => Interlocked.Exchange(ref _restartRequested, 1);

    private static uint RandomBase() => BitConverter.ToUInt32(RandomNumberGenerator.GetBytes(4));

    private static H264Packetizer NewPacketizer() =>
        new(PayloadType, RandomBase(), (ushort)RandomNumberGenerator.GetInt32(ushort.MaxValue + 1));

    private async Task RunAsync()
    {
        var units = Clip.Value.Units;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1 / FramesPerSecond));
        long frame = 0;
        try
        {
            do
            {
                if (Interlocked.Exchange(ref _restartRequested, 0) == 1)
                {
                    _packetizer = NewPacketizer();
                    _timestampBase = RandomBase();
                    _frameAtRestart = frame;
                }

                // The clip starts with a keyframe, so a restarted camera, like a rebooted one, starts with one.
                var sinceRestart = frame - _frameAtRestart;
                _timestamp = unchecked(_timestampBase + (uint)(long)Math.Round(sinceRestart * ClockRate / FramesPerSecond));
                _packetizer.Packetize(units[(int)(sinceRestart % units.Count)], _timestamp, _emit);
                frame++;
            }
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void Publish(ReadOnlyMemory<byte> rtp)
    {
        var packet = Hub.Pool.Rent(rtp.Length);
        try
        {
            rtp.Span.CopyTo(packet.Buffer.Span);
            packet.Length = rtp.Length;
            packet.TrackIndex = 0;
            packet.RtpTimestamp = _timestamp;
            packet.ReceivedAt = Stopwatch.GetTimestamp();
            packet.IsKeyframeStart = RtpHeader.TryParse(rtp.Span, out var header)
                && KeyframeDetector.IsKeyframeStart("H264", RtpHeader.GetPayload(rtp.Span, header));
            Hub.Publish(packet);
        }
        finally
        {
            packet.Release();
        }
    }

    private static (IReadOnlyList<IReadOnlyList<ReadOnlyMemory<byte>>>, string) LoadClip()
    {
        var units = H264AccessUnits.Split(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "demo", "clip.h264")));
        var nals = units.SelectMany(u => u).Where(n => n.Length > 0).ToList();
        var sps = nals.First(n => H264.NalType(n.Span[0]) == 7).Span;
        var pps = nals.First(n => H264.NalType(n.Span[0]) == 8).Span;
        var fmtp = string.Create(
            CultureInfo.InvariantCulture,
            $"packetization-mode=1;profile-level-id={sps[1]:X2}{sps[2]:X2}{sps[3]:X2};sprop-parameter-sets={Convert.ToBase64String(sps)},{Convert.ToBase64String(pps)}");
        return (units, fmtp);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        Hub.Dispose();
        _stop.Dispose();
    }
}

/// <summary>
/// An RTSP server in the test process (the gateway's own <see cref="RtspServer"/>) serving hubs by path:
/// the cheap camera for many-camera fault tests (many paths may map to one hub).
/// </summary>
internal sealed class InProcessCameraServer : IStreamResolver, IAsyncDisposable
{
    private readonly Func<string, StreamHub?> _resolve;
    private readonly RtspServer _server;

    private InProcessCameraServer(Func<string, StreamHub?> resolve)
    {
        _resolve = resolve;
        _server = new RtspServer(
            new RtspServerOptions { BindAddress = IPAddress.Loopback, Port = 0, ServerName = "fault test camera" },
            this,
            NullLoggerFactory.Instance);
    }

    public int Port => _server.LocalEndPoint.Port;

    public static async Task<InProcessCameraServer> StartAsync(Func<string, StreamHub?> resolve)
    {
        var server = new InProcessCameraServer(resolve);
        await server._server.StartAsync(CancellationToken.None);
        return server;
    }

    public string Url(string path) => $"rtsp://127.0.0.1:{Port}/{path}";

    public StreamHub? Resolve(string path) => _resolve(path);

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
