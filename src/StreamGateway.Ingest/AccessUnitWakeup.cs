namespace StreamGateway.Ingest;

/// <summary>
/// Decides when a camera's published packets wake the viewers: once per video access unit rather than per
/// packet or per socket read. A camera writes a frame as several RTP packets that may arrive over several reads
/// (or, over UDP, always one per receive); waking each viewer once, at the frame's end, sends the whole frame in
/// one gathered write and costs one thread wake-up per viewer per frame. A player cannot show a frame before
/// its last packet anyway, so holding its first packets until then adds no picture latency.
/// </summary>
/// <remarks>
/// The end of an access unit is the RTP marker bit (RFC 6184 and RFC 7798 set it on its last packet). For a
/// camera that never sets it, a packet with a new timestamp ends the previous unit (one frame later).
/// <see cref="MaxHeldBytes"/> and <see cref="MaxHeldPackets"/> bound what is held: a keyframe of 50 KB or more
/// goes out in parts, so its transfer to the viewer overlaps its arrival instead of starting after it. Measured at
/// N=50 cameras (docs/benchmarks-notes.md), p99 packet latency: whole keyframes held 2.5-3.8 ms (four runs), 16 KB
/// parts 1.8-3.0 ms (three runs); 8 KB parts split ordinary frames too and were worse. Audio, other media and RTCP
/// wake at once. Not thread-safe: the caller serialises publishing.
/// </remarks>
internal struct AccessUnitWakeup
{
    /// <summary>Video packets held at most before the viewers are woken without an access unit's end.</summary>
    public const int MaxHeldPackets = 64;

    /// <summary>Video bytes held at most (about a typical P-frame at 2-4 Mbit/s) before the viewers are woken.</summary>
    public const int MaxHeldBytes = 16 * 1024;

    private int _held;
    private int _heldBytes;
    private uint _heldTimestamp;

    /// <summary>Called after publishing a packet (without waking); true when the viewers should be woken now.</summary>
    /// <param name="isVideoRtp">An RTP packet of a video track (RTCP and audio are never held).</param>
    /// <param name="marker">Its RTP marker bit.</param>
    /// <param name="timestamp">Its RTP timestamp.</param>
    /// <param name="length">Its length in bytes.</param>
    public bool ShouldWake(bool isVideoRtp, bool marker, uint timestamp, int length)
    {
        if (!isVideoRtp || marker || (_held > 0 && timestamp != _heldTimestamp)
            || _held + 1 >= MaxHeldPackets || _heldBytes + length >= MaxHeldBytes)
        {
            _held = 0;
            _heldBytes = 0;
            return true;
        }

        _held++;
        _heldBytes += length;
        _heldTimestamp = timestamp;
        return false;
    }
}
