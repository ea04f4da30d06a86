namespace StreamGateway.Protocols.Codecs;

/// <summary>Small H.264 helpers.</summary>
public static class H264
{
    public const byte NalSlice = 1;
    public const byte NalIdr = 5;
    public const byte NalSei = 6;
    public const byte NalSps = 7;
    public const byte NalPps = 8;
    public const byte NalAccessUnitDelimiter = 9;
    public const byte NalStapA = 24;
    public const byte NalFuA = 28;

    /// <summary>nal_unit_type: the low 5 bits of the NAL header byte.</summary>
    public static byte NalType(byte header) => (byte)(header & 0x1F);

    /// <summary>
    /// Reads the SPS and PPS from an fmtp's <c>sprop-parameter-sets</c>. Tolerates either order, key case,
    /// spaces, and start codes or trailing zero bytes inside the base64 (GW Security, Dahua).
    /// False when the parameter is missing, empty or lacks either set.
    /// </summary>
    public static bool TryGetParameterSetsFromFmtp(string? fmtp, out byte[]? sps, out byte[]? pps)
    {
        sps = null;
        pps = null;
        if (string.IsNullOrWhiteSpace(fmtp))
        {
            return false;
        }

        foreach (var parameter in fmtp.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = parameter.IndexOf('=');
            if (eq < 0 || !parameter.AsSpan(0, eq).Trim().Equals("sprop-parameter-sets", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            foreach (var encoded in parameter[(eq + 1)..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                byte[] decoded;
                try
                {
                    decoded = Convert.FromBase64String(encoded);
                }
                catch (FormatException)
                {
                    continue;
                }

                foreach (var nal in UnitsOf(decoded))
                {
                    var type = NalType(nal[0]);
                    if (type == NalSps)
                    {
                        sps ??= nal;
                    }
                    else if (type == NalPps)
                    {
                        pps ??= nal;
                    }
                }
            }
        }

        return sps is not null && pps is not null;
    }

    private static ReadOnlySpan<byte> StartCode => [0, 0, 1];

    private static IEnumerable<byte[]> UnitsOf(byte[] decoded)
    {
        if (AnnexB.ContainsStartCode(decoded))
        {
            foreach (var unit in AnnexB.SplitNalUnits(decoded))
            {
                yield return unit.ToArray();
            }

            // Bytes before the first start code are a unit too ("<sps> 00 00 00 01").
            var first = decoded.AsSpan().IndexOf(StartCode);
            var leading = decoded.AsSpan(0, first).TrimEnd((byte)0);
            if (!leading.IsEmpty)
            {
                yield return leading.ToArray();
            }
        }
        else
        {
            var trimmed = decoded.AsSpan().TrimEnd((byte)0);
            if (!trimmed.IsEmpty)
            {
                yield return trimmed.ToArray();
            }
        }
    }
}
