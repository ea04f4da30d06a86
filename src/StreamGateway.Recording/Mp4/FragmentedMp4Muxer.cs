namespace StreamGateway.Recording.Mp4;

/// <summary>
/// Muxes timestamped samples of a fixed set of tracks into one fragmented MP4 file: the init segment first,
/// then one moof + mdat per <see cref="FlushFragment"/>. Decode times are in each track's timescale, relative to
/// the segment start.
/// </summary>
/// <remarks>
/// A sample's duration is the distance to the next sample of its track, so the newest sample of each track
/// waits for its successor and goes into the next fragment; <see cref="Finish"/> gives the last one the
/// duration of its predecessor. Decode times that do not increase are repaired (moved to one tick after the
/// previous sample) and counted in <see cref="RepairedTimestamps"/>, so the file's timestamps are always monotonic.
/// Not thread-safe: one writer. <see cref="Dispose"/> gives the buffers back to the pool (the output stays open).
/// </remarks>
internal sealed class FragmentedMp4Muxer : IDisposable
{
    private readonly Stream _output;
    private readonly TrackState[] _tracks;
    private readonly Mp4FragmentTrack[] _fragments;
    private readonly BoxBuffer _boxes = new(BoxBuffer.FragmentCapacity);
    private uint _sequence;

    /// <summary>Writes the init segment to <paramref name="output"/> at once (not flushed).</summary>
    public FragmentedMp4Muxer(Stream output, IReadOnlyList<Mp4Track> tracks)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfZero(tracks.Count);
        _output = output;
        _tracks = tracks.Select(t => new TrackState(t)).ToArray();
        _fragments = _tracks.Select(t => t.Fragment).ToArray();
        Mp4Boxes.WriteInitSegment(_boxes, tracks);
        Write();
    }

    /// <summary>Number of tracks (fixed at construction).</summary>
    public int TrackCount => _tracks.Length;

    /// <summary>Bytes written to the output so far.</summary>
    public long BytesWritten { get; private set; }

    /// <summary>Samples whose decode time did not increase and was moved forward.</summary>
    public long RepairedTimestamps { get; private set; }

    /// <summary>Samples written or waiting, all tracks.</summary>
    public long SampleCount { get; private set; }

    /// <summary>Decode time of the newest sample of a track (0 before any), in its timescale.</summary>
    public long LastDecodeTime(int track) => _tracks[track].HasPending ? _tracks[track].PendingTime : 0;

    /// <summary>Duration of the samples of track <paramref name="track"/> in the open fragment, including the waiting one, in its timescale.</summary>
    public long OpenFragmentDuration(int track)
    {
        var state = _tracks[track];
        return state.HasPending && state.HasFragmentStart ? state.PendingTime - state.FragmentStart : 0;
    }

    /// <summary>End of the last completed sample of every track, in seconds: the playable length written so far.</summary>
    public double DurationSeconds => _tracks.Max(t => (double)t.EndTime / t.Fragment.Track.Timescale);

    /// <summary>Adds a sample; <paramref name="data"/> is copied (for video: 4-byte length-prefixed NAL units).</summary>
    public void AddSample(int track, long decodeTime, ReadOnlySpan<byte> data, bool isSync)
    {
        var state = _tracks[track];
        if (decodeTime < 0)
        {
            decodeTime = 0;
        }

        if (state.HasPending)
        {
            if (decodeTime <= state.PendingTime)
            {
                decodeTime = state.PendingTime + 1;
                RepairedTimestamps++;
            }

            state.CommitPending((uint)Math.Min(uint.MaxValue, decodeTime - state.PendingTime));
        }

        if (!state.HasFragmentStart)
        {
            state.FragmentStart = decodeTime;
            state.HasFragmentStart = true;
        }

        state.SetPending(decodeTime, data, isSync);
        SampleCount++;
    }

    /// <summary>Writes one moof + mdat with every sample whose duration is known; nothing when there is none. Allocates nothing once its buffers have grown.</summary>
    public void FlushFragment()
    {
        var empty = true;
        foreach (var fragment in _fragments)
        {
            empty &= fragment.Samples.Count == 0;
        }

        if (empty)
        {
            return;
        }

        _boxes.Clear();
        Mp4Boxes.WriteFragment(_boxes, ++_sequence, _fragments);
        Write();
        foreach (var state in _tracks)
        {
            state.StartNextFragment();
        }
    }

    /// <summary>Gives each waiting sample the duration of its predecessor (or <paramref name="defaultDuration"/> seconds) and writes the last fragment.</summary>
    public void Finish(double defaultDuration = 0.04)
    {
        foreach (var state in _tracks)
        {
            if (state.HasPending)
            {
                var duration = state.LastDuration > 0 ? state.LastDuration : (uint)Math.Max(1, defaultDuration * state.Fragment.Track.Timescale);
                state.CommitPending(duration);
                state.HasPending = false;
            }
        }

        FlushFragment();
    }

    /// <summary>Returns the fragment buffers to the pool; call after <see cref="Finish"/> or when the segment is abandoned.</summary>
    public void Dispose()
    {
        _boxes.Release();
        foreach (var state in _tracks)
        {
            state.Release();
        }
    }

    private void Write()
    {
        _output.Write(_boxes.Written);
        BytesWritten += _boxes.Length;
        _boxes.Clear();
    }

    private sealed class TrackState(Mp4Track track)
    {
        private readonly BoxBuffer _pending = new(BoxBuffer.SampleCapacity);
        private bool _pendingSync;

        public Mp4FragmentTrack Fragment { get; } = new(track);

        public bool HasPending { get; set; }

        public long PendingTime { get; private set; }

        public long FragmentStart { get; set; }

        public bool HasFragmentStart { get; set; }

        public uint LastDuration { get; private set; }

        /// <summary>End of the last committed sample (decode time plus duration).</summary>
        public long EndTime { get; private set; }

        public void SetPending(long time, ReadOnlySpan<byte> data, bool isSync)
        {
            _pending.Clear();
            _pending.Bytes(data);
            _pendingSync = isSync;
            PendingTime = time;
            HasPending = true;
        }

        /// <summary>Moves the waiting sample into the fragment with its now known duration.</summary>
        public void CommitPending(uint duration)
        {
            if (Fragment.Samples.Count == 0)
            {
                Fragment.BaseDecodeTime = (ulong)PendingTime;
            }

            Fragment.Samples.Add(new Mp4Sample(duration, _pending.Length, _pendingSync));
            Fragment.Data.Bytes(_pending.Written);
            LastDuration = duration;
            EndTime = PendingTime + duration;
            _pending.Clear();
        }

        public void Release()
        {
            _pending.Release();
            Fragment.Data.Release();
        }

        public void StartNextFragment()
        {
            Fragment.Clear();
            FragmentStart = PendingTime;
            HasFragmentStart = HasPending;
        }
    }
}
