using System.Buffers.Binary;
using StreamGateway.Protocols.Rtp;

namespace StreamGateway.Ingest;

/// <summary>
/// Rewrites one track's RTP so viewers see one continuous stream across camera reconnects and
/// camera-side timestamp resets: a stable SSRC, sequence numbers that follow on, and timestamps that
/// advance by the wall-clock gap. Owned by the connector (it outlives sessions); runs on the
/// producer path, in place, before the packet is shared, so it costs nothing per viewer.
/// </summary>
internal sealed class RtpContinuity
{
    /// <summary>A jump of more than this many packets means the camera restarted its numbering.</summary>
    private const int MaxSequenceJump = 3000;

    /// <summary>A timestamp this far (in seconds) from where the wall clock says it should be means a reset.</summary>
    private const double MaxTimestampDriftSeconds = 10;

    private readonly int _clockRate;
    private readonly TimeProvider _time;
    private bool _haveOutput;
    private bool _resync = true;
    private ushort _lastSequenceIn;
    private uint _lastTimestampIn;
    private ushort _lastSequenceOut;
    private uint _lastTimestampOut;
    private long _lastAt;
    private ushort _sequenceOffset;
    private uint _timestampOffset;

    public RtpContinuity(uint ssrc, int clockRate, TimeProvider time)
    {
        Ssrc = ssrc;
        _clockRate = clockRate > 0 ? clockRate : 90000;
        _time = time;
    }

    public int ClockRate => _clockRate;

    /// <summary>The SSRC every viewer sees for this track, whatever the camera uses.</summary>
    public uint Ssrc { get; }

    /// <summary>Camera-side resets and reconnects absorbed so far.</summary>
    public int Resyncs { get; private set; }

    /// <summary>The next packet starts a new upstream session: re-anchor on it.</summary>
    public void MarkDiscontinuity() => _resync = true;

    /// <summary>Rewrites SSRC, sequence number and timestamp of an RTP packet in place.</summary>
    public void RewriteRtp(Span<byte> packet, in RtpHeader header)
    {
        var now = _time.GetTimestamp();
        if (!_resync && _haveOutput && LooksReset(header, now))
        {
            _resync = true;
        }

        if (_resync)
        {
            Anchor(header, now);
        }

        var sequenceOut = (ushort)(header.SequenceNumber + _sequenceOffset);
        var timestampOut = header.Timestamp + _timestampOffset;
        RtpHeader.WriteSequenceNumber(packet, sequenceOut);
        RtpHeader.WriteTimestamp(packet, timestampOut);
        RtpHeader.WriteSsrc(packet, Ssrc);
        _lastSequenceIn = header.SequenceNumber;
        _lastTimestampIn = header.Timestamp;
        _lastSequenceOut = sequenceOut;
        _lastTimestampOut = timestampOut;
        _lastAt = now;
        _haveOutput = true;
    }

    /// <summary>
    /// Rewrites a camera RTCP packet to match: keeps only a leading sender report (whose SSRC and RTP
    /// timestamp are mapped like the media); returns the new length, 0 to drop the packet.
    /// </summary>
    public int RewriteRtcp(Span<byte> packet)
    {
        const int senderReportLength = 28;
        if (!_haveOutput || _resync || packet.Length < senderReportLength || packet[1] != Rtcp.SenderReport)
        {
            return 0;
        }

        var length = (BinaryPrimitives.ReadUInt16BigEndian(packet[2..]) + 1) * 4;
        if (length < senderReportLength || length > packet.Length)
        {
            return 0;
        }

        BinaryPrimitives.WriteUInt32BigEndian(packet[4..], Ssrc);
        var rtpTime = BinaryPrimitives.ReadUInt32BigEndian(packet[16..]);
        BinaryPrimitives.WriteUInt32BigEndian(packet[16..], rtpTime + _timestampOffset);

        // Report blocks and SDES name the camera's SSRCs; dropping them keeps the stream consistent.
        packet[0] = (byte)(packet[0] & 0xE0);
        BinaryPrimitives.WriteUInt16BigEndian(packet[2..], (senderReportLength / 4) - 1);
        return senderReportLength;
    }

    private bool LooksReset(in RtpHeader header, long now)
    {
        var sequenceStep = (ushort)(header.SequenceNumber - _lastSequenceIn);
        if (sequenceStep > MaxSequenceJump && sequenceStep < ushort.MaxValue - MaxSequenceJump)
        {
            return true;
        }

        var elapsedUnits = _time.GetElapsedTime(_lastAt, now).TotalSeconds * _clockRate;
        var drift = (int)(header.Timestamp - _lastTimestampIn) - elapsedUnits;
        return Math.Abs(drift) > MaxTimestampDriftSeconds * _clockRate;
    }

    private void Anchor(in RtpHeader header, long now)
    {
        if (_haveOutput)
        {
            // Continue where the viewers are, advanced by the real time the stream was away.
            var gapUnits = (uint)Math.Max(1, _time.GetElapsedTime(_lastAt, now).TotalSeconds * _clockRate);
            _sequenceOffset = (ushort)(_lastSequenceOut + 1 - header.SequenceNumber);
            _timestampOffset = _lastTimestampOut + gapUnits - header.Timestamp;
            Resyncs++;
        }
        else
        {
            _sequenceOffset = 0;
            _timestampOffset = 0;
        }

        _resync = false;
    }
}
