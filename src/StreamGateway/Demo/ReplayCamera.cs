using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StreamGateway.Protocols.Codecs;
using StreamGateway.Protocols.Rtp;
using StreamGateway.Protocols.Sdp;
using StreamGateway.Relay;

namespace StreamGateway.Demo;

/// <summary>
/// A cheap local camera: replays an H.264 Annex B clip into its own <see cref="StreamHub"/> at a fixed
/// frame rate, forever, with continuous RTP timestamps and sequence numbers. Serve it over RTSP with an
/// <c>RtspServer</c> whose resolver returns <see cref="Hub"/>.
/// </summary>
public sealed class ReplayCamera : IAsyncDisposable
{
    private const byte PayloadType = 96;
    private const int ClockRate = 90000;

    private readonly IReadOnlyList<IReadOnlyList<ReadOnlyMemory<byte>>> _accessUnits;
    private readonly double _framesPerSecond;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly H264Packetizer _packetizer;
    private readonly Action<ReadOnlyMemory<byte>> _emit;
    private Task _loop = Task.CompletedTask;
    private uint _timestamp;
    private int _disposed;

    private ReplayCamera(StreamHub hub, IReadOnlyList<IReadOnlyList<ReadOnlyMemory<byte>>> accessUnits, double framesPerSecond, ILogger logger)
    {
        Hub = hub;
        _accessUnits = accessUnits;
        _framesPerSecond = framesPerSecond;
        _logger = logger;
        _packetizer = new H264Packetizer(PayloadType, BitConverter.ToUInt32(RandomNumberGenerator.GetBytes(4)), (ushort)RandomNumberGenerator.GetInt32(ushort.MaxValue + 1));
        _timestamp = BitConverter.ToUInt32(RandomNumberGenerator.GetBytes(4));
        _emit = PublishPacket;
    }

    /// <summary>The hub this camera publishes into: one H.264 track (PT 96, 90 kHz), described from the clip's first SPS/PPS.</summary>
    public StreamHub Hub { get; }

    /// <summary>Access units published so far (all loops).</summary>
    public long FramesPublished { get; private set; }

    /// <summary>
    /// Loads a clip (Annex B byte stream with SPS and PPS) and prepares a camera publishing at <paramref name="streamPath"/>.
    /// Throws <see cref="InvalidDataException"/> when the clip has no access units or no SPS/PPS.
    /// </summary>
    public static ReplayCamera FromAnnexBFile(string h264Path, string streamPath, double framesPerSecond = 25, ILoggerFactory? loggerFactory = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(h264Path);
        ArgumentException.ThrowIfNullOrEmpty(streamPath);
        if (!double.IsFinite(framesPerSecond) || framesPerSecond is <= 0 or > 1000)
        {
            throw new ArgumentOutOfRangeException(nameof(framesPerSecond), framesPerSecond, "frames per second must be in (0, 1000]");
        }

        var accessUnits = H264AccessUnits.Split(File.ReadAllBytes(h264Path));
        if (accessUnits.Count == 0)
        {
            throw new InvalidDataException($"{h264Path}: no H.264 access units");
        }

        ReadOnlyMemory<byte>? sps = null;
        ReadOnlyMemory<byte>? pps = null;
        foreach (var nal in accessUnits.SelectMany(au => au))
        {
            if (nal.Length == 0)
            {
                continue;
            }

            var type = H264.NalType(nal.Span[0]);
            if (type == 7 && sps is null && nal.Length >= 4)
            {
                sps = nal;
            }
            else if (type == 8 && pps is null)
            {
                pps = nal;
            }
        }

        if (sps is null || pps is null)
        {
            throw new InvalidDataException($"{h264Path}: no SPS/PPS in the clip");
        }

        var spsSpan = sps.Value.Span;
        var fmtp = string.Create(
            CultureInfo.InvariantCulture,
            $"packetization-mode=1;profile-level-id={spsSpan[1]:X2}{spsSpan[2]:X2}{spsSpan[3]:X2};sprop-parameter-sets={Convert.ToBase64String(spsSpan)},{Convert.ToBase64String(pps.Value.Span)}");
        var hub = new StreamHub(streamPath);
        hub.SetTracks(
        [
            new TrackDescription
            {
                Index = 0,
                Kind = MediaKind.Video,
                PayloadType = PayloadType,
                EncodingName = "H264",
                ClockRate = ClockRate,
                Fmtp = fmtp,
                ControlUrl = "trackID=0",
            },
        ]);
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<ReplayCamera>();
        ReplayCameraLog.Loaded(logger, streamPath, accessUnits.Count, framesPerSecond);
        return new ReplayCamera(hub, accessUnits, framesPerSecond, logger);
    }

    /// <summary>Starts publishing in the background and returns at once; stops on <paramref name="cancellationToken"/> or dispose.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (!_loop.IsCompleted)
        {
            throw new InvalidOperationException("The replay camera is already running.");
        }

        var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        _loop = Task.Run(async () =>
        {
            using (linked)
            {
                await RunAsync(linked.Token).ConfigureAwait(false);
            }
        });
        return Task.CompletedTask;
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1 / _framesPerSecond));
        var startTimestamp = _timestamp;
        var frame = 0L;
        try
        {
            do
            {
                var index = (int)(frame % _accessUnits.Count);
                if (index == 0 && frame > 0)
                {
                    ReplayCameraLog.Looped(_logger, Hub.Path, frame);
                }

                // Timestamps follow the frame count, not the wall clock, so they stay continuous across loops.
                _timestamp = unchecked(startTimestamp + (uint)(long)Math.Round(frame * ClockRate / _framesPerSecond));
                _packetizer.Packetize(_accessUnits[index], _timestamp, _emit);
                frame++;
                FramesPublished = frame;
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (ObjectDisposedException)
        {
            // The hub was disposed under us: nothing left to publish to.
        }

        ReplayCameraLog.Stopped(_logger, Hub.Path, frame);
    }

    /// <summary>Copies one RTP packet into a pooled packet (the only copy), publishes it, and releases our reference.</summary>
    private void PublishPacket(ReadOnlyMemory<byte> rtp)
    {
        var packet = Hub.Pool.Rent(rtp.Length);
        try
        {
            rtp.Span.CopyTo(packet.Buffer.Span);
            packet.Length = rtp.Length;
            packet.TrackIndex = 0;
            packet.IsRtcp = false;
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

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        Hub.Dispose();
        _stop.Dispose();
    }
}

/// <summary>Log messages of the replay camera; event ids 600-609 are stable.</summary>
internal static partial class ReplayCameraLog
{
    [LoggerMessage(600, LogLevel.Information, "Replay camera {Path}: {AccessUnits} access units at {FramesPerSecond} fps")]
    public static partial void Loaded(ILogger logger, string path, int accessUnits, double framesPerSecond);

    [LoggerMessage(601, LogLevel.Debug, "Replay camera {Path} looped after {Frames} frames")]
    public static partial void Looped(ILogger logger, string path, long frames);

    [LoggerMessage(602, LogLevel.Debug, "Replay camera {Path} stopped after {Frames} frames")]
    public static partial void Stopped(ILogger logger, string path, long frames);
}
