using System.Buffers.Binary;

namespace StreamGateway.Protocols.Rtp;

/// <summary>The fixed RTP header (RFC 3550 5.1) of one packet, read without copying the packet.</summary>
public readonly struct RtpHeader
{
    /// <summary>Length of the fixed header without CSRCs or extension.</summary>
    public const int FixedLength = 12;

    private RtpHeader(bool marker, byte payloadType, ushort sequenceNumber, uint timestamp, uint ssrc, int csrcCount, bool hasExtension, int headerLength, int paddingLength)
    {
        Marker = marker;
        PayloadType = payloadType;
        SequenceNumber = sequenceNumber;
        Timestamp = timestamp;
        Ssrc = ssrc;
        CsrcCount = csrcCount;
        HasExtension = hasExtension;
        HeaderLength = headerLength;
        PaddingLength = paddingLength;
    }

    public bool Marker { get; }

    public byte PayloadType { get; }

    public ushort SequenceNumber { get; }

    public uint Timestamp { get; }

    public uint Ssrc { get; }

    /// <summary>Number of contributing sources (0..15).</summary>
    public int CsrcCount { get; }

    /// <summary>True when a header extension follows the CSRCs.</summary>
    public bool HasExtension { get; }

    /// <summary>Bytes before the payload: 12 + 4 per CSRC + the extension (4 + its length).</summary>
    public int HeaderLength { get; }

    /// <summary>Padding bytes at the end of the packet (0 when the P bit is clear).</summary>
    public int PaddingLength { get; }

    /// <summary>
    /// Reads the header. False when the version is not 2, the packet is shorter than its header,
    /// the extension runs past the end, or the padding count is zero or longer than the payload allows.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> packet, out RtpHeader header)
    {
        header = default;
        if (packet.Length < FixedLength || (packet[0] >> 6) != 2)
        {
            return false;
        }

        var hasPadding = (packet[0] & 0x20) != 0;
        var hasExtension = (packet[0] & 0x10) != 0;
        var csrcCount = packet[0] & 0x0F;
        var headerLength = FixedLength + (csrcCount * 4);
        if (hasExtension)
        {
            if (packet.Length < headerLength + 4)
            {
                return false;
            }

            headerLength += 4 + (BinaryPrimitives.ReadUInt16BigEndian(packet[(headerLength + 2)..]) * 4);
        }

        if (headerLength > packet.Length)
        {
            return false;
        }

        var paddingLength = 0;
        if (hasPadding)
        {
            paddingLength = packet[^1];
            if (paddingLength == 0 || headerLength + paddingLength > packet.Length)
            {
                return false;
            }
        }

        header = new RtpHeader(
            marker: (packet[1] & 0x80) != 0,
            payloadType: (byte)(packet[1] & 0x7F),
            sequenceNumber: BinaryPrimitives.ReadUInt16BigEndian(packet[2..]),
            timestamp: BinaryPrimitives.ReadUInt32BigEndian(packet[4..]),
            ssrc: BinaryPrimitives.ReadUInt32BigEndian(packet[8..]),
            csrcCount: csrcCount,
            hasExtension: hasExtension,
            headerLength: headerLength,
            paddingLength: paddingLength);
        return true;
    }

    /// <summary>The payload between the header and the padding. The header must come from <see cref="TryParse"/> on this packet.</summary>
    public static ReadOnlySpan<byte> GetPayload(ReadOnlySpan<byte> packet, in RtpHeader header) =>
        packet.Slice(header.HeaderLength, packet.Length - header.HeaderLength - header.PaddingLength);

    /// <summary>Rewrites the sequence number in place (for relays that renumber).</summary>
    public static void WriteSequenceNumber(Span<byte> packet, ushort value) => BinaryPrimitives.WriteUInt16BigEndian(packet[2..], value);

    /// <summary>Rewrites the timestamp in place.</summary>
    public static void WriteTimestamp(Span<byte> packet, uint value) => BinaryPrimitives.WriteUInt32BigEndian(packet[4..], value);

    /// <summary>Rewrites the SSRC in place.</summary>
    public static void WriteSsrc(Span<byte> packet, uint value) => BinaryPrimitives.WriteUInt32BigEndian(packet[8..], value);
}
