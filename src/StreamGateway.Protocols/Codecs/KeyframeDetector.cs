using System.Buffers.Binary;

namespace StreamGateway.Protocols.Codecs;

/// <summary>Tells whether an RTP payload starts a keyframe, so the GOP cache and a dropping subscriber know where to resume.</summary>
public static class KeyframeDetector
{
    /// <summary>
    /// H.264 (RFC 6184): an SPS (7) or IDR slice (5) as a single NAL unit, inside a STAP-A/STAP-B, or as the
    /// start fragment of an FU-A/FU-B. H.265 (RFC 7798): a VPS/SPS (32/33) or IRAP picture (16..21) as a single
    /// NAL unit, inside an aggregation packet (48), or as the start fragment of a fragmentation unit (49).
    /// Any other encoding: false.
    /// </summary>
    public static bool IsKeyframeStart(string encodingName, ReadOnlySpan<byte> rtpPayload)
    {
        if (string.Equals(encodingName, "H264", StringComparison.OrdinalIgnoreCase))
        {
            return IsH264KeyframeStart(rtpPayload);
        }

        if (string.Equals(encodingName, "H265", StringComparison.OrdinalIgnoreCase))
        {
            return IsH265KeyframeStart(rtpPayload);
        }

        return false;
    }

    private static bool IsH264Key(int nalType) => nalType is 5 or 7;

    private static bool IsH265Key(int nalType) => nalType is (>= 16 and <= 21) or 32 or 33;

    private static bool IsH264KeyframeStart(ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty)
        {
            return false;
        }

        var type = payload[0] & 0x1F;
        return type switch
        {
            >= 1 and <= 23 => IsH264Key(type),
            24 => AggregateContainsKey(payload[1..], h265: false), // STAP-A
            25 => payload.Length > 3 && AggregateContainsKey(payload[3..], h265: false), // STAP-B: DON first
            28 or 29 => payload.Length > 1 && (payload[1] & 0x80) != 0 && IsH264Key(payload[1] & 0x1F), // FU-A/FU-B start
            _ => false,
        };
    }

    private static bool IsH265KeyframeStart(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 2)
        {
            return false;
        }

        var type = (payload[0] >> 1) & 0x3F;
        return type switch
        {
            < 48 => IsH265Key(type),
            48 => AggregateContainsKey(payload[2..], h265: true), // AP (no DONL: sprop-max-don-diff is 0 on cameras)
            49 => payload.Length > 2 && (payload[2] & 0x80) != 0 && IsH265Key(payload[2] & 0x3F), // FU start
            _ => false,
        };
    }

    /// <summary>Walks 16-bit-length-prefixed NAL units; stops at the first one that does not fit.</summary>
    private static bool AggregateContainsKey(ReadOnlySpan<byte> units, bool h265)
    {
        while (units.Length >= 3)
        {
            var size = BinaryPrimitives.ReadUInt16BigEndian(units);
            units = units[2..];
            if (size == 0 || size > units.Length)
            {
                return false;
            }

            var key = h265 ? IsH265Key((units[0] >> 1) & 0x3F) : IsH264Key(units[0] & 0x1F);
            if (key)
            {
                return true;
            }

            units = units[size..];
        }

        return false;
    }
}
