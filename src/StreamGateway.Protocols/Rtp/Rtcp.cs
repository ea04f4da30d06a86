using System.Buffers.Binary;

namespace StreamGateway.Protocols.Rtp;

/// <summary>RTCP (RFC 3550 6) validation, sender report reading and receiver report writing.</summary>
public static class Rtcp
{
    public const byte SenderReport = 200;
    public const byte ReceiverReport = 201;
    public const byte SourceDescription = 202;
    public const byte Goodbye = 203;

    /// <summary>Bytes <see cref="WriteReceiverReport"/> writes: header, reporter SSRC and one report block.</summary>
    public const int ReceiverReportLength = 32;

    private const int SenderReportMinLength = 28;

    /// <summary>
    /// The header validity check of RFC 3550 A.2: every packet has version 2 and an RTCP packet type (192..223),
    /// the first is an SR or RR without padding, only the last may be padded, and the lengths add up exactly.
    /// Item lists inside SDES are not inspected: cameras (Hanwha QNV-8080R) omit the terminating null item,
    /// and a relay forwards those packets rather than judging them.
    /// </summary>
    public static bool IsValidCompound(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < 8 || (packet[1] != SenderReport && packet[1] != ReceiverReport) || (packet[0] & 0x20) != 0)
        {
            return false;
        }

        var offset = 0;
        while (offset < packet.Length)
        {
            if (packet.Length - offset < 4 || (packet[offset] >> 6) != 2 || packet[offset + 1] < 192 || packet[offset + 1] > 223)
            {
                return false;
            }

            var length = (BinaryPrimitives.ReadUInt16BigEndian(packet[(offset + 2)..]) + 1) * 4;
            if (length > packet.Length - offset)
            {
                return false;
            }

            var padded = (packet[offset] & 0x20) != 0;
            offset += length;
            if (padded && offset != packet.Length)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Finds the first sender report in a (compound) RTCP packet and reads its sender info.</summary>
    public static bool TryReadSenderReport(ReadOnlySpan<byte> packet, out uint ssrc, out ulong ntpTimestamp, out uint rtpTimestamp, out uint packetCount, out uint octetCount)
    {
        ssrc = 0;
        ntpTimestamp = 0;
        rtpTimestamp = 0;
        packetCount = 0;
        octetCount = 0;

        var offset = 0;
        while (packet.Length - offset >= 4)
        {
            var length = (BinaryPrimitives.ReadUInt16BigEndian(packet[(offset + 2)..]) + 1) * 4;
            if ((packet[offset] >> 6) != 2 || length > packet.Length - offset)
            {
                return false;
            }

            if (packet[offset + 1] == SenderReport)
            {
                if (length < SenderReportMinLength)
                {
                    return false;
                }

                var sr = packet.Slice(offset, length);
                ssrc = BinaryPrimitives.ReadUInt32BigEndian(sr[4..]);
                ntpTimestamp = BinaryPrimitives.ReadUInt64BigEndian(sr[8..]);
                rtpTimestamp = BinaryPrimitives.ReadUInt32BigEndian(sr[16..]);
                packetCount = BinaryPrimitives.ReadUInt32BigEndian(sr[20..]);
                octetCount = BinaryPrimitives.ReadUInt32BigEndian(sr[24..]);
                return true;
            }

            offset += length;
        }

        return false;
    }

    /// <summary>
    /// Writes a receiver report with one report block (loss and jitter zero) and returns its length,
    /// <see cref="ReceiverReportLength"/>. <paramref name="lastSenderReportMiddle32"/> is the middle 32 bits
    /// of the last SR's NTP timestamp; <paramref name="delaySinceLastSr"/> is in units of 1/65536 s.
    /// </summary>
    public static int WriteReceiverReport(Span<byte> destination, uint reporterSsrc, uint sourceSsrc, uint extendedHighestSequence, uint lastSenderReportMiddle32, uint delaySinceLastSr)
    {
        if (destination.Length < ReceiverReportLength)
        {
            throw new ArgumentException($"Need {ReceiverReportLength} bytes for a receiver report.", nameof(destination));
        }

        var rr = destination[..ReceiverReportLength];
        rr[0] = 0x81; // V=2, P=0, RC=1
        rr[1] = ReceiverReport;
        BinaryPrimitives.WriteUInt16BigEndian(rr[2..], (ReceiverReportLength / 4) - 1);
        BinaryPrimitives.WriteUInt32BigEndian(rr[4..], reporterSsrc);
        BinaryPrimitives.WriteUInt32BigEndian(rr[8..], sourceSsrc);
        BinaryPrimitives.WriteUInt32BigEndian(rr[12..], 0); // fraction lost, cumulative lost
        BinaryPrimitives.WriteUInt32BigEndian(rr[16..], extendedHighestSequence);
        BinaryPrimitives.WriteUInt32BigEndian(rr[20..], 0); // jitter
        BinaryPrimitives.WriteUInt32BigEndian(rr[24..], lastSenderReportMiddle32);
        BinaryPrimitives.WriteUInt32BigEndian(rr[28..], delaySinceLastSr);
        return ReceiverReportLength;
    }
}
