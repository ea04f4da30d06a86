using System.Globalization;

namespace StreamGateway.Protocols.Rtsp;

/// <summary>One stream of an <c>RTP-Info</c> header. <see cref="Url"/> is as given and may be relative ("trackID=0").</summary>
public sealed record RtpInfoEntry(string Url, ushort? Sequence, uint? RtpTime);

/// <summary>The RTSP <c>RTP-Info</c> header (RFC 2326 section 12.33).</summary>
public static class RtpInfoHeader
{
    /// <summary>
    /// Parses the entries; an entry without <c>url=</c> is skipped, as are unparseable seq/rtptime values.
    /// A comma only starts a new entry when <c>url=</c> follows it, so a comma inside a URL survives.
    /// </summary>
    public static IReadOnlyList<RtpInfoEntry> Parse(string value)
    {
        var entries = new List<RtpInfoEntry>();
        if (string.IsNullOrWhiteSpace(value))
        {
            return entries;
        }

        var pieces = value.Split(',');
        var current = pieces[0];
        for (var i = 1; i < pieces.Length; i++)
        {
            if (pieces[i].TrimStart().StartsWith("url=", StringComparison.OrdinalIgnoreCase))
            {
                AddEntry(entries, current);
                current = pieces[i];
            }
            else
            {
                current += "," + pieces[i];
            }
        }

        AddEntry(entries, current);
        return entries;
    }

    private static void AddEntry(List<RtpInfoEntry> entries, string text)
    {
        string? url = null;
        ushort? sequence = null;
        uint? rtpTime = null;
        foreach (var part in text.Split(';'))
        {
            var trimmed = part.Trim();
            var equals = trimmed.IndexOf('=');
            if (equals <= 0)
            {
                if (url is not null && trimmed.Length > 0)
                {
                    url += ";" + trimmed;
                }

                continue;
            }

            var name = trimmed[..equals].Trim();
            var value = trimmed[(equals + 1)..].Trim();
            if (name.Equals("url", StringComparison.OrdinalIgnoreCase))
            {
                url = value.Trim('"');
            }
            else if (name.Equals("seq", StringComparison.OrdinalIgnoreCase)
                && ushort.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seq))
            {
                sequence = seq;
            }
            else if (name.Equals("rtptime", StringComparison.OrdinalIgnoreCase)
                && uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var time))
            {
                rtpTime = time;
            }
        }

        if (!string.IsNullOrEmpty(url))
        {
            entries.Add(new RtpInfoEntry(url, sequence, rtpTime));
        }
    }
}
