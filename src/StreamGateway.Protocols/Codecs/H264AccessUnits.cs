namespace StreamGateway.Protocols.Codecs;

/// <summary>Groups the NAL units of an H.264 Annex-B stream into access units (ITU-T H.264 7.4.1.2.3).</summary>
public static class H264AccessUnits
{
    /// <summary>
    /// A new access unit starts at an AUD, SPS, PPS, SEI or types 14..18 that follow a VCL NAL unit of the
    /// current one, or at a VCL NAL unit whose first_mb_in_slice is 0 when the current one already has a VCL
    /// NAL unit. The NAL units are slices of <paramref name="annexBStream"/>, not copies.
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<ReadOnlyMemory<byte>>> Split(ReadOnlyMemory<byte> annexBStream)
    {
        var units = new List<IReadOnlyList<ReadOnlyMemory<byte>>>();
        var current = new List<ReadOnlyMemory<byte>>();
        var currentHasVcl = false;

        foreach (var nal in AnnexB.SplitNalUnits(annexBStream))
        {
            var span = nal.Span;
            var type = H264.NalType(span[0]);
            var isVcl = type is >= 1 and <= 5;
            var startsNew = currentHasVcl && (isVcl
                ? IsFirstSliceOfPicture(span)
                : type is H264.NalAccessUnitDelimiter or H264.NalSps or H264.NalPps or H264.NalSei or (>= 14 and <= 18));
            if (startsNew)
            {
                units.Add(current);
                current = [];
                currentHasVcl = false;
            }

            current.Add(nal);
            currentHasVcl |= isVcl;
        }

        if (current.Count > 0)
        {
            units.Add(current);
        }

        return units;
    }

    // first_mb_in_slice is the first ue(v) after the header byte; ue(v) 0 is the single bit 1.
    private static bool IsFirstSliceOfPicture(ReadOnlySpan<byte> nal) => nal.Length > 1 && (nal[1] & 0x80) != 0;
}
