using System.Buffers.Binary;

namespace StreamGateway.Protocols.Codecs;

/// <summary>
/// Packs H.264 access units into RTP (RFC 6184, packetization-mode 1): a NAL unit that fits is sent as a single
/// NAL unit packet, a larger one as FU-A fragments. The marker bit is set on the last packet of the access unit.
/// One instance per stream; not thread-safe.
/// </summary>
public sealed class H264Packetizer
{
    /// <summary>Smallest packet size that leaves room for header, FU indicator, FU header and some payload.</summary>
    public const int MinPacketSize = 64;

    private const int RtpHeaderLength = 12;
    private const int FuOverhead = 2;

    private readonly byte[] _buffer;
    private readonly byte _payloadType;
    private readonly uint _ssrc;
    private ushort _sequence;

    public H264Packetizer(byte payloadType, uint ssrc, ushort initialSequence, int maxPacketSize = 1400)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(payloadType, (byte)127);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPacketSize, MinPacketSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxPacketSize, 65535);
        _payloadType = payloadType;
        _ssrc = ssrc;
        _sequence = initialSequence;
        _buffer = new byte[maxPacketSize];
    }

    /// <summary>The sequence number the next packet will carry.</summary>
    public ushort NextSequenceNumber => _sequence;

    public uint Ssrc => _ssrc;

    /// <summary>
    /// Emits the RTP packets of one access unit (NAL units without start codes; empty ones are skipped) and
    /// returns how many. The buffer given to <paramref name="emit"/> is reused: it is valid only during the call.
    /// </summary>
    public int Packetize(IReadOnlyList<ReadOnlyMemory<byte>> accessUnitNals, uint timestamp, Action<ReadOnlyMemory<byte>> emit)
    {
        ArgumentNullException.ThrowIfNull(accessUnitNals);
        ArgumentNullException.ThrowIfNull(emit);

        var last = accessUnitNals.Count - 1;
        while (last >= 0 && accessUnitNals[last].IsEmpty)
        {
            last--;
        }

        var count = 0;
        for (var i = 0; i <= last; i++)
        {
            var nal = accessUnitNals[i].Span;
            if (nal.IsEmpty)
            {
                continue;
            }

            var isLastNal = i == last;
            if (nal.Length <= _buffer.Length - RtpHeaderLength)
            {
                WriteHeader(isLastNal, timestamp);
                nal.CopyTo(_buffer.AsSpan(RtpHeaderLength));
                emit(_buffer.AsMemory(0, RtpHeaderLength + nal.Length));
                count++;
                continue;
            }

            // FU-A: the NAL header is carried in the FU indicator (F, NRI) and FU header (type), not in the data.
            var indicator = (byte)((nal[0] & 0xE0) | H264.NalFuA);
            var type = (byte)(nal[0] & 0x1F);
            var data = nal[1..];
            var chunk = _buffer.Length - RtpHeaderLength - FuOverhead;
            var first = true;
            while (!data.IsEmpty)
            {
                var size = Math.Min(chunk, data.Length);
                var end = size == data.Length;
                WriteHeader(isLastNal && end, timestamp);
                _buffer[RtpHeaderLength] = indicator;
                _buffer[RtpHeaderLength + 1] = (byte)((first ? 0x80 : 0) | (end ? 0x40 : 0) | type);
                data[..size].CopyTo(_buffer.AsSpan(RtpHeaderLength + FuOverhead));
                emit(_buffer.AsMemory(0, RtpHeaderLength + FuOverhead + size));
                count++;
                data = data[size..];
                first = false;
            }
        }

        return count;
    }

    private void WriteHeader(bool marker, uint timestamp)
    {
        var header = _buffer.AsSpan(0, RtpHeaderLength);
        header[0] = 0x80; // V=2, no padding, extension or CSRC
        header[1] = (byte)((marker ? 0x80 : 0) | _payloadType);
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], _sequence);
        BinaryPrimitives.WriteUInt32BigEndian(header[4..], timestamp);
        BinaryPrimitives.WriteUInt32BigEndian(header[8..], _ssrc);
        _sequence++;
    }
}
