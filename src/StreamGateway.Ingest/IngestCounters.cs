namespace StreamGateway.Ingest;

/// <summary>
/// Per-camera counters, written by the receive path and read by status. Totals are lock-free; the
/// moving rates keep per-second buckets behind a tiny lock (one uncontended enter per packet).
/// </summary>
/// <remarks>
/// The connector owns one instance for the camera's life, so totals and rates ride through reconnects.
/// Rates cover the last <see cref="RateWindowSeconds"/> whole seconds (the current, partial second is
/// left out so a rate does not dip every time a second begins), or less while the stream is younger.
/// </remarks>
public sealed class IngestCounters
{
    /// <summary>How many whole seconds the moving bitrate and frame rate average over.</summary>
    public const int RateWindowSeconds = 5;

    // Window plus the current second plus slack, so a bucket is never reused while still in the window.
    private const int BucketCount = RateWindowSeconds + 3;

    /// <summary>Below this much observed time a rate would be noise: it reads 0 instead.</summary>
    private static readonly double MinRateSpanSeconds = 0.25;

    private readonly TimeProvider _time;
    private readonly Lock _rateGate = new();
    private readonly long[] _bucketSecond = new long[BucketCount];
    private readonly long[] _bucketBytes = new long[BucketCount];
    private readonly long[] _bucketFrames = new long[BucketCount];
    private long _firstRateTimestamp = long.MinValue;

    private long _packets;
    private long _bytes;
    private long _malformed;
    private long _reconnects;
    private long _frames;
    private long _keyframes;
    private long _lastKeyframeAt = long.MinValue;
    private uint _lastKeyframeRtpTimestamp;

    /// <param name="time">Clock for rates and ages; <see cref="TimeProvider.System"/> when null.</param>
    public IngestCounters(TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        Array.Fill(_bucketSecond, long.MinValue);
    }

    public long Packets => Interlocked.Read(ref _packets);

    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>RTP/RTCP packets or frames that failed validation and were dropped.</summary>
    public long Malformed => Interlocked.Read(ref _malformed);

    /// <summary>Sessions started after the first one.</summary>
    public long Reconnects => Interlocked.Read(ref _reconnects);

    /// <summary>Video frames: RTP packets with the marker bit on a video track.</summary>
    public long Frames => Interlocked.Read(ref _frames);

    /// <summary>Keyframe access units (an IDR with its SPS/PPS packets counts once).</summary>
    public long Keyframes => Interlocked.Read(ref _keyframes);

    /// <summary>Time since the last keyframe started; null before the first.</summary>
    public TimeSpan? LastKeyframeAge
    {
        get
        {
            var at = Interlocked.Read(ref _lastKeyframeAt);
            return at == long.MinValue ? null : _time.GetElapsedTime(at);
        }
    }

    /// <summary>Bitrate (bits/s, RTP of every track) and video frame rate over the last few seconds.</summary>
    public IngestRates GetRates()
    {
        var now = _time.GetTimestamp();
        var frequency = _time.TimestampFrequency;
        var currentSecond = now / frequency;
        long bytes = 0;
        long frames = 0;
        long first;
        lock (_rateGate)
        {
            first = _firstRateTimestamp;
            for (var i = 0; i < BucketCount; i++)
            {
                var second = _bucketSecond[i];
                if (second >= currentSecond - RateWindowSeconds && second < currentSecond)
                {
                    bytes += _bucketBytes[i];
                    frames += _bucketFrames[i];
                }
            }
        }

        if (first == long.MinValue)
        {
            return default;
        }

        // The window ends where the current second starts; it begins at the window's start or at the
        // first packet, whichever is later, so a young stream is not diluted by seconds it never had.
        var windowEnd = currentSecond * frequency;
        var windowStart = Math.Max((currentSecond - RateWindowSeconds) * frequency, first);
        var span = (double)(windowEnd - windowStart) / frequency;
        if (span < MinRateSpanSeconds)
        {
            return default;
        }

        return new IngestRates(bytes * 8 / span, frames / span);
    }

    internal void CountPacket(int bytes)
    {
        Interlocked.Increment(ref _packets);
        Interlocked.Add(ref _bytes, bytes);
        var now = _time.GetTimestamp();
        lock (_rateGate)
        {
            _bucketBytes[Bucket(now)] += bytes;
        }
    }

    /// <summary>A video RTP packet with the marker bit: the last packet of a frame.</summary>
    internal void CountFrame()
    {
        Interlocked.Increment(ref _frames);
        var now = _time.GetTimestamp();
        lock (_rateGate)
        {
            _bucketFrames[Bucket(now)]++;
        }
    }

    /// <summary>
    /// A video RTP packet that starts a keyframe (<c>RelayPacket.IsKeyframeStart</c>). Packets of one
    /// access unit share an RTP timestamp, so a repeat of the last keyframe's timestamp is not a new one.
    /// </summary>
    internal void CountKeyframe(uint rtpTimestamp)
    {
        var now = _time.GetTimestamp();
        lock (_rateGate)
        {
            if (_lastKeyframeAt != long.MinValue && rtpTimestamp == _lastKeyframeRtpTimestamp)
            {
                return;
            }

            _lastKeyframeRtpTimestamp = rtpTimestamp;
            Interlocked.Exchange(ref _lastKeyframeAt, now);
        }

        Interlocked.Increment(ref _keyframes);
    }

    internal void CountMalformed() => Interlocked.Increment(ref _malformed);

    internal void CountReconnect() => Interlocked.Increment(ref _reconnects);

    /// <summary>Under <see cref="_rateGate"/>: the bucket of <paramref name="timestamp"/>'s second, emptied if it held an older second.</summary>
    private int Bucket(long timestamp)
    {
        if (_firstRateTimestamp == long.MinValue)
        {
            _firstRateTimestamp = timestamp;
        }

        var second = timestamp / _time.TimestampFrequency;
        var index = (int)(((second % BucketCount) + BucketCount) % BucketCount);
        if (_bucketSecond[index] != second)
        {
            _bucketSecond[index] = second;
            _bucketBytes[index] = 0;
            _bucketFrames[index] = 0;
        }

        return index;
    }
}

/// <summary>Moving rates of one camera.</summary>
/// <param name="BitsPerSecond">RTP bytes of every track, times 8, per second.</param>
/// <param name="FramesPerSecond">Video frames (marker-bit packets) per second.</param>
public readonly record struct IngestRates(double BitsPerSecond, double FramesPerSecond);
