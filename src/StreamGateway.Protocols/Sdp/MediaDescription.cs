using System.Globalization;

namespace StreamGateway.Protocols.Sdp;

/// <summary>One media section (<c>m=</c> line and the lines under it) of a <see cref="SessionDescription"/>.</summary>
public sealed class MediaDescription
{
    private readonly List<SdpAttribute> _attributes;

    internal MediaDescription(string media, int port, string protocol, IReadOnlyList<string> formats)
    {
        Media = media;
        Port = port;
        Protocol = protocol;
        Formats = formats;
        _attributes = [];
    }

    /// <summary>The media type as given: "video", "audio", "application", or odd vendor values ("application/TP-LINK", "vana").</summary>
    public string Media { get; }

    /// <summary>The port from the <c>m=</c> line (0 when it is not a number).</summary>
    public int Port { get; }

    /// <summary>The transport protocol, for example "RTP/AVP".</summary>
    public string Protocol { get; }

    /// <summary>The format tokens as given; RTP payload type numbers for RTP/AVP, but possibly not numeric.</summary>
    public IReadOnlyList<string> Formats { get; }

    /// <summary>The section's attributes in order.</summary>
    public IReadOnlyList<SdpAttribute> Attributes => _attributes;

    /// <summary>The first <c>a=control</c> of the section, or null.</summary>
    public string? Control => GetAttribute("control");

    /// <summary>The last direction attribute of the section (sendonly, recvonly, sendrecv, inactive), or null when none.</summary>
    public string? Direction
    {
        get
        {
            string? direction = null;
            foreach (var attribute in _attributes)
            {
                if (SessionDescription.IsDirection(attribute.Name))
                {
                    direction = attribute.Name.ToLowerInvariant();
                }
            }

            return direction;
        }
    }

    internal void Add(SdpAttribute attribute) => _attributes.Add(attribute);

    internal bool HasFormat(int payloadType)
    {
        foreach (var format in Formats)
        {
            if (int.TryParse(format, NumberStyles.None, CultureInfo.InvariantCulture, out var pt) && pt == payloadType)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The value of the first attribute with this name (case-insensitive); null when absent or a flag.</summary>
    public string? GetAttribute(string name)
    {
        foreach (var attribute in _attributes)
        {
            if (string.Equals(attribute.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return attribute.Value;
            }
        }

        return null;
    }

    /// <summary>The <c>a=rtpmap</c> for this payload type, or null when absent or malformed.</summary>
    public RtpMap? GetRtpMap(int payloadType)
    {
        foreach (var attribute in _attributes)
        {
            if (string.Equals(attribute.Name, "rtpmap", StringComparison.OrdinalIgnoreCase)
                && TrySplitPayloadType(attribute.Value, out var pt, out var rest)
                && pt == payloadType)
            {
                return ParseRtpMap(pt, rest);
            }
        }

        return null;
    }

    /// <summary>The parameters of the <c>a=fmtp</c> for this payload type, verbatim; null when absent or empty.</summary>
    public string? GetFmtp(int payloadType)
    {
        foreach (var attribute in _attributes)
        {
            if (string.Equals(attribute.Name, "fmtp", StringComparison.OrdinalIgnoreCase)
                && TrySplitPayloadType(attribute.Value, out var pt, out var rest)
                && pt == payloadType)
            {
                return rest.Length == 0 ? null : rest;
            }
        }

        return null;
    }

    internal bool HasPayloadAttribute(string name, int payloadType)
    {
        foreach (var attribute in _attributes)
        {
            if (string.Equals(attribute.Name, name, StringComparison.OrdinalIgnoreCase)
                && TrySplitPayloadType(attribute.Value, out var pt, out _)
                && pt == payloadType)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Splits "96 H264/90000" into 96 and "H264/90000"; rest is trimmed and may be empty ("a=fmtp:96").</summary>
    internal static bool TrySplitPayloadType(string? value, out int payloadType, out string rest)
    {
        payloadType = -1;
        rest = string.Empty;
        if (string.IsNullOrEmpty(value))
        {
            return false;
        }

        var span = value.AsSpan().Trim();
        var end = span.IndexOfAny(' ', '\t');
        var number = end < 0 ? span : span[..end];
        if (!int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out payloadType) || payloadType > 127)
        {
            payloadType = -1;
            return false;
        }

        rest = end < 0 ? string.Empty : span[end..].Trim().ToString();
        return true;
    }

    private static RtpMap? ParseRtpMap(int payloadType, string value)
    {
        // encoding-name "/" clock-rate [ "/" channels ]; a trailing space was already trimmed.
        var parts = value.Split('/', StringSplitOptions.TrimEntries);
        if (parts.Length < 2 || parts[0].Length == 0
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var clockRate)
            || clockRate <= 0)
        {
            return null;
        }

        int? channels = null;
        if (parts.Length >= 3 && int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var c) && c > 0)
        {
            channels = c;
        }

        return new RtpMap(payloadType, parts[0].ToUpperInvariant(), clockRate, channels);
    }
}
