using System.Runtime.CompilerServices;

namespace StreamGateway.Protocols.Codecs;

/// <summary>Splits an H.264/H.265 Annex-B byte stream into NAL units.</summary>
public static class AnnexB
{
    private static ReadOnlySpan<byte> StartCode => [0, 0, 1];

    /// <summary>
    /// Yields each NAL unit (without start code) as a slice of <paramref name="stream"/>; 3- and 4-byte start
    /// codes both work, and zero bytes before a start code (trailing_zero_8bits) are not part of the unit.
    /// Bytes before the first start code are ignored.
    /// </summary>
    public static IEnumerable<ReadOnlyMemory<byte>> SplitNalUnits(ReadOnlyMemory<byte> stream)
    {
        var start = NextUnitStart(stream.Span, 0);
        while (start >= 0 && start < stream.Length)
        {
            var relative = stream.Span[start..].IndexOf(StartCode);
            var next = relative < 0 ? -1 : start + relative;
            var end = next < 0 ? stream.Length : next;
            end = TrimTrailingZeros(stream.Span, start, end);
            if (end > start)
            {
                yield return stream[start..end];
            }

            start = next < 0 ? -1 : next + StartCode.Length;
        }
    }

    /// <summary>Whether <paramref name="data"/> holds a start code anywhere.</summary>
    internal static bool ContainsStartCode(ReadOnlySpan<byte> data) => data.IndexOf(StartCode) >= 0;

    private static int NextUnitStart(ReadOnlySpan<byte> span, int from)
    {
        var index = span[from..].IndexOf(StartCode);
        return index < 0 ? -1 : from + index + StartCode.Length;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int TrimTrailingZeros(ReadOnlySpan<byte> span, int start, int end)
    {
        while (end > start && span[end - 1] == 0)
        {
            end--;
        }

        return end;
    }
}
