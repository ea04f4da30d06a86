using System.Diagnostics;
using Microsoft.Extensions.Logging;
using StreamGateway.Protocols.Codecs;
using StreamGateway.Protocols.Rtp;
using StreamGateway.Protocols.Sdp;
using StreamGateway.Recording.Mp4;
using StreamGateway.Relay;

namespace StreamGateway.Recording;

/// <summary>
/// Records one camera: a subscriber of its <see cref="StreamHub"/> like any viewer, writing fragmented MP4
/// segments on a background task. A slow disk fills only this subscription's queue (the hub drops and counts),
/// never the camera's or the viewers' path.
/// </summary>
/// <remarks>
/// Steps per packet: depacketize (H.264/H.265 NAL units, AAC access units), group video NAL units into access
/// units by RTP timestamp and marker bit, then per video access unit: (1) end the segment on a timestamp jump,
/// or at a keyframe when the parameter sets changed or the UTC segment boundary passed; (2) open a segment at a
/// keyframe; (3) write the open fragment at each keyframe or after <see cref="RecorderOptions.FragmentDuration"/>,
/// flushed to the OS at once, so a killed process loses at most that much. Every packet taken from the
/// subscription is released here, whatever happens.
/// </remarks>
public sealed class Recorder : IAsyncDisposable
{
    private const uint VideoClock = 90000;

    private readonly StreamHub _hub;
    private readonly RecorderOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly RecordingJournal _journal;
    private readonly CancellationTokenSource _stop = new();
    // Reused for every packet: the depacketizers copy into them, nothing is allocated per packet once they have grown.
    private readonly MediaUnitList _accessUnit = new();
    private readonly MediaUnitList _audioFrames = new(4 * 1024);
    private readonly Mp4.BoxBuffer _sample = new(Mp4.BoxBuffer.SampleCapacity);
    private readonly Queue<(long Ticks, long Bytes)> _rate = new();
    private Task _loop = Task.CompletedTask;

    // Track setup, from the hub's tracks.
    private int _videoTrack = -1;
    private bool _h265;
    private NalDepacketizer? _video;
    private int _audioTrack = -1;
    private AacDepacketizer? _audio;
    private int _audioClock;
    private byte[]? _vps, _sps, _pps;

    // Latest RTCP sender report per track (NTP seconds, RTP timestamp): lines audio up with video.
    private (double Ntp, uint Rtp)? _videoReport, _audioReport;

    // Access unit being assembled.
    private uint _auTimestamp;
    private DateTimeOffset _auWall;

    // Open segment.
    private FileStream? _file;
    private FragmentedMp4Muxer? _muxer;
    private string? _segmentPath;
    private DateTimeOffset _segmentStart;
    private DateTimeOffset _nextBoundary;
    private byte[]? _segmentSps, _segmentPps, _segmentVps;
    private uint _lastVideoTimestamp;
    private uint _segmentKeyTimestamp;
    private long _videoDecodeTime;
    private bool _audioStarted;
    private uint _lastAudioTimestamp;
    private long _audioDecodeTime;
    private long _segmentBytesReported;

    private string? _openGapCause;
    private DateTimeOffset _lastPacketWall;
    private DateTimeOffset _retryAfter;
    private long _lastSubscriptionDrops;
    private bool _warnedNoParameterSets;

    // Status, read from other threads.
    private volatile string _state = RecorderStates.Starting;
    private volatile string? _currentSegment;
    private volatile string? _lastError;
    private long _bytesWritten;
    private long _segmentsWritten;
    private long _droppedPackets;
    private long _gaps;
    private long _repairedTimestamps;
    private long _writeErrors;
    private double _bitrate;

    public Recorder(StreamHub hub, RecorderOptions options, ILogger logger, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(hub);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.SegmentSeconds, 1, nameof(options));
        _hub = hub;
        _options = options;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _journal = new RecordingJournal(Path.Combine(options.CameraDirectory, RecordingEvents.JournalFileName));
    }

    public RecorderOptions Options => _options;

    /// <summary>Starts the background task (once).</summary>
    public void Start()
    {
        if (_loop == Task.CompletedTask)
        {
            _loop = Task.Run(RunAsync);
        }
    }

    public RecorderStatus GetStatus() => new(
        _hub.Path,
        _state,
        _currentSegment,
        Interlocked.Read(ref _bytesWritten),
        Interlocked.Read(ref _segmentsWritten),
        Interlocked.Read(ref _droppedPackets),
        Interlocked.Read(ref _gaps),
        Interlocked.Read(ref _repairedTimestamps),
        Interlocked.Read(ref _writeErrors),
        _lastError,
        Volatile.Read(ref _bitrate));

    /// <summary>Stops: ends the open segment cleanly and journals a gap caused by the gateway stopping.</summary>
    public async ValueTask DisposeAsync() => await StopAsync(RecordingEvents.CauseGatewayStopped).ConfigureAwait(false);

    /// <summary>Stops with the gap cause to journal (for example recording disabled by a reload).</summary>
    public async Task StopAsync(string cause)
    {
        if (_stop.IsCancellationRequested)
        {
            await _loop.ConfigureAwait(false);
            return;
        }

        _stopCause = cause;
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private string _stopCause = RecordingEvents.CauseGatewayStopped;

    private async Task RunAsync()
    {
        var ct = _stop.Token;
        RecordingLog.Started(_logger, _hub.Path, _options.CameraDirectory);
        try
        {
            ResumeJournal();
            while (!ct.IsCancellationRequested)
            {
                if (!await _hub.WaitForTracksAsync(Timeout.InfiniteTimeSpan, ct).ConfigureAwait(false))
                {
                    break; // hub disposed
                }

                ConfigureTracks(_hub.Tracks!);
                Subscription subscription;
                try
                {
                    subscription = _hub.Subscribe("recorder");
                }
                catch (ObjectDisposedException)
                {
                    break;
                }

                string? closeReason;
                using (subscription)
                {
                    _lastSubscriptionDrops = 0;
                    closeReason = await ReadAsync(subscription, ct).ConfigureAwait(false);
                }

                if (closeReason == SubscriptionCloseReasons.MediaChanged)
                {
                    CloseSegment(RecordingEvents.CauseTrackChange);
                    OpenGap(RecordingEvents.CauseTrackChange, Now());
                    continue;
                }

                break; // stream removed
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // A bug, not a disk error: keep the gateway running, say so in the status.
            RecordingLog.RecorderFailed(_logger, _hub.Path, ex);
            _lastError = ex.GetType().Name + ": " + ex.Message;
        }

        CloseSegment(_stopCause);
        OpenGap(_stopCause, Now());
        _state = RecorderStates.Stopped;
        RecordingLog.Stopped(_logger, _hub.Path);
    }

    /// <summary>Reads until the subscription closes (returns its reason) or the recorder stops (throws).</summary>
    /// <remarks>
    /// Drains the queue, then waits for more with a token that cancels on <paramref name="ct"/> or after
    /// <see cref="RecorderOptions.IdleTimeout"/>: one linked source re-armed before each wait (TryReset and
    /// CancelAfter reuse its timer), so a wait allocates neither a Task nor a timer. A wait canceled by the idle
    /// timer leaves the subscription usable (Subscription.WaitToReadAsync only faults that one wait); then
    /// <see cref="OnIdle"/> runs, as it does every idle timeout while nothing arrives, and a new source replaces
    /// the canceled one (idle is rare). Like the timeout before it, the idle time counts from the start of a wait.
    /// </remarks>
    private async Task<string?> ReadAsync(Subscription subscription, CancellationToken ct)
    {
        var idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
        try
        {
            while (true)
            {
                while (subscription.TryRead(out var packet))
                {
                    try
                    {
                        Handle(packet);
                    }
                    finally
                    {
                        packet.Release();
                    }

                    CheckDrops(subscription);
                }

                if (!idle.TryReset())
                {
                    // Canceled while the queue was drained: by the stop token, or by a timer armed for an earlier
                    // wait that outlived it (the idle time counts from the start of each wait, not of the drain).
                    ct.ThrowIfCancellationRequested();
                    idle.Dispose();
                    idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
                }

                idle.CancelAfter(_options.IdleTimeout);
                var waitStart = Stopwatch.GetTimestamp();
                bool ready;
                try
                {
                    ready = await subscription.WaitToReadAsync(idle.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    // The previous wait's timer can fire while TryReset stops it; such a cancel comes at once
                    // and is not idle (half the timeout leaves room for coarse timer clocks).
                    if (Stopwatch.GetElapsedTime(waitStart) >= _options.IdleTimeout / 2)
                    {
                        OnIdle();
                    }

                    idle.Dispose();
                    idle = CancellationTokenSource.CreateLinkedTokenSource(ct);
                    continue;
                }

                if (!ready)
                {
                    return subscription.CloseReason;
                }
            }
        }
        finally
        {
            idle.Dispose();
        }
    }

    internal void ConfigureTracks(IReadOnlyList<TrackDescription> tracks)
    {
        _videoTrack = -1;
        _audioTrack = -1;
        _video = null;
        _audio = null;
        _vps = _sps = _pps = null;
        _accessUnit.Clear();
        foreach (var track in tracks)
        {
            if (track.Kind == MediaKind.Video && _videoTrack < 0 && track.EncodingName is "H264" or "H265")
            {
                _videoTrack = track.Index;
                _h265 = track.EncodingName == "H265";
                _video = new NalDepacketizer(_h265);
                ReadSdpParameterSets(track);
            }
            else if (track.Kind == MediaKind.Audio && _audioTrack < 0 && track.EncodingName == "MPEG4-GENERIC"
                && AacDepacketizer.TryCreate(track.Fmtp, out var aac))
            {
                _audioTrack = track.Index;
                _audio = aac;
                _audioClock = track.ClockRate;
            }
            else
            {
                // G.711 and others: mp4 can carry them, players disagree; recorded video stays complete.
                RecordingLog.TrackSkipped(_logger, _hub.Path, $"{track.Kind}/{track.EncodingName}", "codec not recorded");
            }
        }

        _state = _videoTrack < 0 ? RecorderStates.Unsupported : RecorderStates.WaitingForKeyframe;
        if (_videoTrack < 0)
        {
            RecordingLog.TrackSkipped(_logger, _hub.Path, "camera", "no H.264 or H.265 video track");
        }
    }

    private void ReadSdpParameterSets(TrackDescription track)
    {
        if (!_h265)
        {
            if (H264.TryGetParameterSetsFromFmtp(track.Fmtp, out var sps, out var pps))
            {
                (_sps, _pps) = (sps, pps);
            }

            return;
        }

        foreach (var parameter in (track.Fmtp ?? string.Empty).Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = parameter.IndexOf('=');
            if (eq <= 0)
            {
                continue;
            }

            byte[] value;
            try
            {
                value = Convert.FromBase64String(parameter[(eq + 1)..].Trim());
            }
            catch (FormatException)
            {
                continue;
            }

            switch (parameter[..eq].Trim().ToUpperInvariant())
            {
                case "SPROP-VPS":
                    _vps = value;
                    break;
                case "SPROP-SPS":
                    _sps = value;
                    break;
                case "SPROP-PPS":
                    _pps = value;
                    break;
            }
        }
    }

    internal void Handle(RelayPacket packet)
    {
        if (packet.TrackIndex != _videoTrack && packet.TrackIndex != _audioTrack)
        {
            return;
        }

        var data = packet.Data.Span;
        if (packet.IsRtcp)
        {
            if (Rtcp.TryReadSenderReport(data, out _, out var ntp, out var rtp, out _, out _))
            {
                var report = ((ntp >> 32) + ((ntp & 0xFFFFFFFF) / 4294967296.0), rtp);
                if (packet.TrackIndex == _videoTrack)
                {
                    _videoReport = report;
                }
                else
                {
                    _audioReport = report;
                }
            }

            return;
        }

        if (!RtpHeader.TryParse(data, out var header))
        {
            return;
        }

        var payload = RtpHeader.GetPayload(data, header);
        var wall = WallTime(packet.ReceivedAt);
        _lastPacketWall = wall;
        if (packet.TrackIndex == _videoTrack)
        {
            if (_accessUnit.Count > 0 && header.Timestamp != _auTimestamp)
            {
                CompleteAccessUnit();
            }

            var hadUnits = _accessUnit.Count > 0;
            _video!.Push(payload, header.SequenceNumber, _accessUnit);
            if (!hadUnits && _accessUnit.Count > 0)
            {
                _auTimestamp = header.Timestamp;
                _auWall = wall;
            }

            if (header.Marker && _accessUnit.Count > 0)
            {
                CompleteAccessUnit();
            }
        }
        else
        {
            _audioFrames.Clear();
            _audio!.Push(payload, header.SequenceNumber, header.Timestamp, _audioFrames);
            for (var i = 0; i < _audioFrames.Count; i++)
            {
                WriteAudio(_audioFrames.Timestamp(i), _audioFrames[i], wall);
            }
        }
    }

    private void CompleteAccessUnit()
    {
        var timestamp = _auTimestamp;
        var wall = _auWall;
        if (_accessUnit.Overflowed)
        {
            // Beyond MediaUnitList's bound (tens of MB under one timestamp): not a picture worth keeping.
            _accessUnit.Clear();
            return;
        }

        var keyframe = false;
        for (var i = 0; i < _accessUnit.Count; i++)
        {
            var nal = _accessUnit[i];
            var type = _h265 ? (nal[0] >> 1) & 0x3F : nal[0] & 0x1F;
            keyframe |= _h265 ? type is >= 16 and <= 21 : type == 5;
            if (_h265 ? type == 32 : false)
            {
                CopyIfChanged(ref _vps, nal);
            }
            else if (_h265 ? type == 33 : type == 7)
            {
                CopyIfChanged(ref _sps, nal);
            }
            else if (_h265 ? type == 34 : type == 8)
            {
                CopyIfChanged(ref _pps, nal);
            }
        }

        if (_muxer is not null)
        {
            var delta = (int)(timestamp - _lastVideoTimestamp);
            var paramsChanged = !Same(_sps, _segmentSps) || !Same(_pps, _segmentPps) || (_h265 && !Same(_vps, _segmentVps));
            if (delta < -(int)VideoClock || delta > 5 * (int)VideoClock)
            {
                // A timestamp reset or jump: a new segment rather than a broken timeline.
                CloseSegment("timestamp-jump");
            }
            else if (keyframe && paramsChanged)
            {
                CloseSegment("parameter-change");
            }
            else if (keyframe && wall >= _nextBoundary)
            {
                CloseSegment("boundary");
            }
            else
            {
                _videoDecodeTime += delta;
            }
        }

        if (_muxer is null)
        {
            if (!keyframe || !TryOpenSegment(wall))
            {
                _accessUnit.Clear();
                return;
            }

            _videoDecodeTime = 0;
            _segmentKeyTimestamp = timestamp;
        }

        _lastVideoTimestamp = timestamp;
        _sample.Clear();
        for (var i = 0; i < _accessUnit.Count; i++)
        {
            var nal = _accessUnit[i];
            var type = _h265 ? (nal[0] >> 1) & 0x3F : nal[0] & 0x1F;
            if (type == (_h265 ? 35 : 9))
            {
                continue; // access unit delimiters are not kept in MP4 samples
            }

            _sample.U32((uint)nal.Length);
            _sample.Bytes(nal);
        }

        _accessUnit.Clear();
        var fragmentTicks = (long)(_options.FragmentDuration.TotalSeconds * VideoClock);
        if (keyframe || _muxer!.OpenFragmentDuration(0) >= fragmentTicks)
        {
            WriteFragment();
        }

        _muxer?.AddSample(0, _videoDecodeTime, _sample.Written, keyframe);
    }

    private void WriteAudio(uint timestamp, ReadOnlySpan<byte> frame, DateTimeOffset wall)
    {
        if (_muxer is null || _muxer.TrackCount < 2)
        {
            return;
        }

        var delta = (int)(timestamp - _lastAudioTimestamp);
        if (!_audioStarted || delta < -_audioClock || delta > 5 * _audioClock)
        {
            // Place the audio relative to the segment's first keyframe: by the sender reports' common NTP clock
            // when both tracks have one, else by arrival time (off by the camera's audio encoder latency).
            var offset = (wall - _segmentStart).TotalSeconds;
            if (_videoReport is { } video && _audioReport is { } audio)
            {
                var videoStart = video.Ntp + ((int)(_segmentKeyTimestamp - video.Rtp) / (double)VideoClock);
                var audioTime = audio.Ntp + ((int)(timestamp - audio.Rtp) / (double)_audioClock);
                if (Math.Abs(audioTime - videoStart - offset) < 2)
                {
                    offset = audioTime - videoStart;
                }
            }

            if (offset < 0 && !_audioStarted)
            {
                return; // sound from before the segment's first picture
            }

            _audioDecodeTime = Math.Max((long)(Math.Max(0, offset) * _audioClock), _audioStarted ? _audioDecodeTime + 1 : 0);
            _audioStarted = true;
        }
        else
        {
            _audioDecodeTime += delta;
        }

        _lastAudioTimestamp = timestamp;
        _muxer.AddSample(1, _audioDecodeTime, frame, isSync: true);
    }

    private bool TryOpenSegment(DateTimeOffset wall)
    {
        if (wall < _retryAfter)
        {
            return false;
        }

        Mp4Track? video = _h265
            ? (_vps is not null && _sps is not null && _pps is not null ? Mp4Track.H265(1, _vps, _sps, _pps) : null)
            : (_sps is not null && _pps is not null ? Mp4Track.H264(1, _sps, _pps) : null);
        if (video is null)
        {
            if (!_warnedNoParameterSets)
            {
                _warnedNoParameterSets = true;
                RecordingLog.NoParameterSets(_logger, _hub.Path);
            }

            return false;
        }

        var tracks = new List<Mp4Track> { video };
        if (_audio is not null)
        {
            tracks.Add(Mp4Track.Aac(2, _audio.AudioSpecificConfig, _audioClock, _audio.ConfigChannels is > 0 and var c ? c : 1));
        }

        var start = new DateTimeOffset(wall.UtcDateTime.Ticks - (wall.UtcDateTime.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
        string? path = null;
        try
        {
            // Two segments in one second (a reconnect): name the new one by the next free second.
            for (var i = 0; i < 10 && path is null; i++)
            {
                var candidate = _options.SegmentPath(start.AddSeconds(i));
                if (!File.Exists(candidate))
                {
                    path = candidate;
                }
            }

            if (path is null)
            {
                return false;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            _file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 0);
            _muxer = new FragmentedMp4Muxer(_file, tracks);
            _file.Flush();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            WriteFailed(ex, wall);
            return false;
        }

        _segmentPath = path;
        _segmentStart = wall;
        _nextBoundary = NextBoundary(wall);
        (_segmentSps, _segmentPps, _segmentVps) = (_sps, _pps, _vps);
        _audioStarted = false;
        _segmentBytesReported = 0;
        _currentSegment = path;
        _state = RecorderStates.Recording;
        Interlocked.Increment(ref _segmentsWritten);
        ReportBytes(wall);
        var relative = RelativeName(path);
        Journal(wall, RecordingEvents.SegmentStart, file: relative);
        if (_openGapCause is not null)
        {
            Journal(wall, RecordingEvents.GapEnd, cause: _openGapCause);
            _openGapCause = null;
        }

        RecordingLog.SegmentStarted(_logger, path);
        return true;
    }

    private void WriteFragment()
    {
        if (_muxer is null)
        {
            return;
        }

        try
        {
            _muxer.FlushFragment();
            _file!.Flush();
            ReportBytes(_lastPacketWall);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            AbandonSegment(ex);
        }
    }

    private void CloseSegment(string reason)
    {
        if (_muxer is null)
        {
            return;
        }

        var muxer = _muxer;
        var path = _segmentPath!;
        try
        {
            muxer.Finish();
            _file!.Flush(flushToDisk: true);
            _file.Dispose();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            AbandonSegment(ex);
            return;
        }

        ReportBytes(_lastPacketWall);
        Interlocked.Add(ref _repairedTimestamps, muxer.RepairedTimestamps);
        var seconds = muxer.DurationSeconds;
        Journal(_segmentStart.AddSeconds(seconds), RecordingEvents.SegmentEnd, file: RelativeName(path), seconds: seconds, bytes: muxer.BytesWritten, reason: reason);
        RecordingLog.SegmentEnded(_logger, path, reason, seconds, muxer.BytesWritten);
        ResetSegment();
        _state = RecorderStates.WaitingForKeyframe;
    }

    private void AbandonSegment(Exception ex)
    {
        try
        {
            _file?.Dispose();
        }
        catch (Exception disposeError) when (disposeError is IOException or UnauthorizedAccessException)
        {
            // The first error is the one reported.
        }

        ResetSegment();
        WriteFailed(ex, _lastPacketWall);
    }

    private void ResetSegment()
    {
        _file = null;
        _muxer?.Dispose(); // its fragment buffers go back to the pool for the next segment
        _muxer = null;
        _segmentPath = null;
        _currentSegment = null;
    }

    private void WriteFailed(Exception ex, DateTimeOffset wall)
    {
        Interlocked.Increment(ref _writeErrors);
        _lastError = ex.Message;
        _state = RecorderStates.WriteError;
        _retryAfter = wall + _options.RetryAfterWriteError;
        RecordingLog.WriteFailed(_logger, _hub.Path, ex.Message);
        OpenGap(RecordingEvents.CauseDiskError, wall);
    }

    private void OnIdle()
    {
        if (_muxer is not null)
        {
            CloseSegment(RecordingEvents.CauseCameraOffline);
            OpenGap(RecordingEvents.CauseCameraOffline, _lastPacketWall);
        }

        if (_state != RecorderStates.Unsupported && _state != RecorderStates.WriteError)
        {
            _state = RecorderStates.CameraOffline;
        }

        Volatile.Write(ref _bitrate, 0);
    }

    private void CheckDrops(Subscription subscription)
    {
        var drops = subscription.DroppedPackets;
        if (drops == _lastSubscriptionDrops)
        {
            return;
        }

        Interlocked.Add(ref _droppedPackets, drops - _lastSubscriptionDrops);
        _lastSubscriptionDrops = drops;
        _accessUnit.Clear();
        if (_muxer is not null)
        {
            // The subscription resumes at the next keyframe; that starts the next segment.
            CloseSegment(RecordingEvents.CauseDropped);
            OpenGap(RecordingEvents.CauseDropped, _lastPacketWall);
        }
    }

    private void OpenGap(string cause, DateTimeOffset at)
    {
        if (_openGapCause is not null)
        {
            return;
        }

        _openGapCause = cause;
        Interlocked.Increment(ref _gaps);
        Journal(at, RecordingEvents.GapStart, cause: cause);
        RecordingLog.GapStarted(_logger, _hub.Path, cause);
    }

    /// <summary>
    /// Continues the journal of an earlier run: an open gap stays open; a journal that ends without one means
    /// the gateway died (kill, power loss), so a gap starts at the last write to the newest segment.
    /// </summary>
    private void ResumeJournal()
    {
        try
        {
            var last = _journal.ReadLast();
            if (last is null)
            {
                return;
            }

            if (last.Value.Event == RecordingEvents.GapStart)
            {
                _openGapCause = last.Value.Cause ?? RecordingEvents.CauseGatewayStopped;
                return;
            }

            var lastWrite = NewestSegmentWrite() ?? last.Value.At;
            OpenGap(RecordingEvents.CauseGatewayStopped, lastWrite > last.Value.At ? lastWrite : last.Value.At);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            RecordingLog.JournalFailed(_logger, _hub.Path, ex.Message);
        }
    }

    private DateTimeOffset? NewestSegmentWrite()
    {
        var directory = new DirectoryInfo(_options.CameraDirectory);
        var day = directory.Exists ? directory.GetDirectories().OrderByDescending(d => d.Name, StringComparer.Ordinal).FirstOrDefault() : null;
        var newest = day?.GetFiles("*.mp4").OrderByDescending(f => f.Name, StringComparer.Ordinal).FirstOrDefault();
        return newest is null ? null : new DateTimeOffset(newest.LastWriteTimeUtc, TimeSpan.Zero);
    }

    private void Journal(DateTimeOffset at, string @event, string? cause = null, string? file = null, double? seconds = null, long? bytes = null, string? reason = null)
    {
        try
        {
            _journal.Append(at, @event, cause, file, seconds, bytes, reason);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Interlocked.Increment(ref _writeErrors);
            RecordingLog.JournalFailed(_logger, _hub.Path, ex.Message);
        }
    }

    private void ReportBytes(DateTimeOffset wall)
    {
        if (_muxer is null)
        {
            return;
        }

        var added = _muxer.BytesWritten - _segmentBytesReported;
        _segmentBytesReported = _muxer.BytesWritten;
        var total = Interlocked.Add(ref _bytesWritten, added);
        var ticks = wall.UtcTicks;
        _rate.Enqueue((ticks, total));
        while (_rate.Count > 2 && _rate.Peek().Ticks < ticks - TimeSpan.TicksPerMinute)
        {
            _rate.Dequeue();
        }

        var (oldTicks, oldBytes) = _rate.Peek();
        var seconds = (double)(ticks - oldTicks) / TimeSpan.TicksPerSecond;
        Volatile.Write(ref _bitrate, seconds >= 1 ? (total - oldBytes) / seconds : 0);
    }

    /// <summary>The next multiple of the segment length after <paramref name="start"/>, counted from UTC midnight.</summary>
    internal static DateTimeOffset NextBoundary(DateTimeOffset start, int segmentSeconds)
    {
        var utc = start.UtcDateTime;
        var midnight = new DateTimeOffset(utc.Date, TimeSpan.Zero);
        var elapsed = (long)(utc - utc.Date).TotalSeconds;
        var next = ((elapsed / segmentSeconds) + 1) * segmentSeconds;
        return midnight.AddSeconds(next);
    }

    private DateTimeOffset NextBoundary(DateTimeOffset start) => NextBoundary(start, _options.SegmentSeconds);

    private string RelativeName(string path) => Path.GetRelativePath(_options.CameraDirectory, path).Replace('\\', '/');

    private DateTimeOffset Now() => _time.GetUtcNow();

    private DateTimeOffset WallTime(long receivedAt) =>
        receivedAt == 0 ? Now() : Now() - Stopwatch.GetElapsedTime(receivedAt);

    private static bool Same(byte[]? a, byte[]? b) => a is null ? b is null : b is not null && a.AsSpan().SequenceEqual(b);

    /// <summary>
    /// Keeps a parameter set: a new array only when its bytes changed (cameras repeat them before every keyframe).
    /// The old array is never written to, so a segment that holds it keeps its own parameter sets.
    /// </summary>
    private static void CopyIfChanged(ref byte[]? current, ReadOnlySpan<byte> nal)
    {
        if (current is null || !nal.SequenceEqual(current))
        {
            current = nal.ToArray();
        }
    }
}
