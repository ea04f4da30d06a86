using System.Globalization;

namespace StreamGateway.Protocols.Sdp;

/// <summary>
/// A parsed SDP (RFC 8866) as cameras really write it. Parsing is lenient: LF or CRLF, trailing blanks,
/// lines out of order, <c>s=</c>/<c>i=</c> inside media, bogus <c>o=</c> and <c>c=</c> lines and
/// non-numeric formats are all accepted. Only text that is not SDP, or SDP without media, is rejected.
/// </summary>
public sealed class SessionDescription
{
    /// <summary>More media sections than any camera sends: a bound against hostile input.</summary>
    public const int MaxMediaSections = 64;

    /// <summary>Upper bound on lines in one description.</summary>
    public const int MaxLines = 4096;

    private const int MaxQuotedLineLength = 80;

    private SessionDescription(string? sessionName, string? connectionAddress, IReadOnlyList<SdpAttribute> attributes, IReadOnlyList<MediaDescription> media)
    {
        SessionName = sessionName;
        ConnectionAddress = connectionAddress;
        Attributes = attributes;
        Media = media;
    }

    /// <summary>The session-level <c>s=</c> text, or null.</summary>
    public string? SessionName { get; }

    /// <summary>The session-level <c>a=control</c>, or null.</summary>
    public string? Control => GetAttribute("control");

    /// <summary>The media sections in order.</summary>
    public IReadOnlyList<MediaDescription> Media { get; }

    /// <summary>The session-level attributes in order.</summary>
    public IReadOnlyList<SdpAttribute> Attributes { get; }

    /// <summary>The address of the session-level <c>c=</c> line without any TTL suffix; null when absent or empty.</summary>
    public string? ConnectionAddress { get; }

    /// <summary>The value of the first session-level attribute with this name; null when absent or a flag.</summary>
    public string? GetAttribute(string name)
    {
        foreach (var attribute in Attributes)
        {
            if (string.Equals(attribute.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return attribute.Value;
            }
        }

        return null;
    }

    /// <summary>The last session-level direction attribute, or null.</summary>
    public string? Direction
    {
        get
        {
            string? direction = null;
            foreach (var attribute in Attributes)
            {
                if (IsDirection(attribute.Name))
                {
                    direction = attribute.Name.ToLowerInvariant();
                }
            }

            return direction;
        }
    }

    /// <summary>Parses SDP text.</summary>
    /// <exception cref="SdpFormatException">The text is not SDP or has no media; the message names the line.</exception>
    public static SessionDescription Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!TryParseCore(text, out var sdp, out var error))
        {
            throw new SdpFormatException(error!);
        }

        return sdp!;
    }

    /// <summary>Parses SDP text; false with a message naming the line when it is unusable.</summary>
    public static bool TryParse(string text, out SessionDescription? sdp, out string? error)
    {
        if (text is null)
        {
            sdp = null;
            error = "SDP text is null";
            return false;
        }

        return TryParseCore(text, out sdp, out error);
    }

    internal static bool IsDirection(string name) =>
        name.Equals("sendonly", StringComparison.OrdinalIgnoreCase)
        || name.Equals("recvonly", StringComparison.OrdinalIgnoreCase)
        || name.Equals("sendrecv", StringComparison.OrdinalIgnoreCase)
        || name.Equals("inactive", StringComparison.OrdinalIgnoreCase);

    private static bool TryParseCore(string text, out SessionDescription? sdp, out string? error)
    {
        sdp = null;
        string? sessionName = null;
        string? connectionAddress = null;
        var sessionAttributes = new List<SdpAttribute>();
        var media = new List<MediaDescription>();
        MediaDescription? current = null;
        var sawVersion = false;
        var lineNumber = 0;

        foreach (var rawLine in text.AsSpan().TrimStart('\uFEFF').EnumerateLines())
        {
            lineNumber++;
            if (lineNumber > MaxLines)
            {
                error = $"SDP has more than {MaxLines} lines";
                return false;
            }

            var line = rawLine.Trim(" \t\r\n");
            if (line.IsEmpty)
            {
                continue;
            }

            if (line.Length < 2 || line[1] != '=' || !char.IsAsciiLetter(line[0]))
            {
                error = $"SDP line {lineNumber} is not of the form <type>=<value>: \"{Quote(line)}\"";
                return false;
            }

            var type = line[0];
            var value = line[2..];
            if (!sawVersion)
            {
                if (type != 'v')
                {
                    error = $"SDP must start with a v= line, but line {lineNumber} is \"{Quote(line)}\"";
                    return false;
                }

                sawVersion = true;
                continue;
            }

            switch (type)
            {
                case 'm':
                    if (media.Count >= MaxMediaSections)
                    {
                        error = $"SDP line {lineNumber}: more than {MaxMediaSections} media sections";
                        return false;
                    }

                    current = ParseMediaLine(value);
                    if (current is null)
                    {
                        error = $"SDP line {lineNumber} is not a valid m= line (need <media> <port> <proto> <fmt>...): \"{Quote(line)}\"";
                        return false;
                    }

                    media.Add(current);
                    break;
                case 'a':
                    var attribute = ParseAttribute(value);
                    if (attribute is not null)
                    {
                        if (current is null)
                        {
                            sessionAttributes.Add(attribute);
                        }
                        else
                        {
                            current.Add(attribute);
                        }
                    }

                    break;
                case 's' when current is null && sessionName is null:
                    sessionName = value.Trim().ToString();
                    break;
                case 'c' when current is null && connectionAddress is null:
                    connectionAddress = ParseConnectionAddress(value);
                    break;
                default:
                    // o=, t=, r=, b=, i=, e=, u=, k=, z= and repeats inside media carry nothing the gateway needs.
                    break;
            }
        }

        if (!sawVersion)
        {
            error = "SDP is empty";
            return false;
        }

        if (media.Count == 0)
        {
            error = "SDP has no media (m=) sections";
            return false;
        }

        AdoptOrphanFormatAttributes(media);
        sdp = new SessionDescription(sessionName, connectionAddress, sessionAttributes, media);
        error = null;
        return true;
    }

    private static MediaDescription? ParseMediaLine(ReadOnlySpan<char> value)
    {
        var tokens = value.ToString().Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (tokens.Length < 3)
        {
            return null;
        }

        // "<port>/<count>" is legal; a non-numeric port is tolerated as 0.
        var portText = tokens[1].AsSpan();
        var slash = portText.IndexOf('/');
        if (slash >= 0)
        {
            portText = portText[..slash];
        }

        _ = int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port);
        return new MediaDescription(tokens[0], port, tokens[2], tokens[3..]);
    }

    private static SdpAttribute? ParseAttribute(ReadOnlySpan<char> value)
    {
        var colon = value.IndexOf(':');
        var name = (colon < 0 ? value : value[..colon]).Trim();
        if (name.IsEmpty)
        {
            return null;
        }

        return new SdpAttribute(name.ToString(), colon < 0 ? null : value[(colon + 1)..].ToString());
    }

    private static string? ParseConnectionAddress(ReadOnlySpan<char> value)
    {
        // "IN IP4 addr[/ttl]"; bogus variants ("IN c=IN IP4 0.0.0.0", "IN ") keep the last token when there are three or more.
        var tokens = value.ToString().Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (tokens.Length < 3)
        {
            return null;
        }

        var address = tokens[^1];
        var slash = address.IndexOf('/');
        return slash > 0 ? address[..slash] : address;
    }

    /// <summary>
    /// Some cameras write a track's <c>a=fmtp</c> or <c>a=rtpmap</c> under a later section (generic IPC firmware
    /// puts the video fmtp after the audio m= line). An attribute whose payload type its own section does not list
    /// is given to the one other section that lists it and lacks its own.
    /// </summary>
    private static void AdoptOrphanFormatAttributes(List<MediaDescription> media)
    {
        foreach (var section in media)
        {
            foreach (var attribute in section.Attributes.ToArray())
            {
                var isFormatAttribute = attribute.Name.Equals("fmtp", StringComparison.OrdinalIgnoreCase)
                    || attribute.Name.Equals("rtpmap", StringComparison.OrdinalIgnoreCase);
                if (!isFormatAttribute
                    || !MediaDescription.TrySplitPayloadType(attribute.Value, out var pt, out _)
                    || section.HasFormat(pt))
                {
                    continue;
                }

                MediaDescription? owner = null;
                var owners = 0;
                foreach (var other in media)
                {
                    if (!ReferenceEquals(other, section) && other.HasFormat(pt))
                    {
                        owner = other;
                        owners++;
                    }
                }

                if (owners == 1 && !owner!.HasPayloadAttribute(attribute.Name, pt))
                {
                    owner.Add(attribute);
                }
            }
        }
    }

    private static string Quote(ReadOnlySpan<char> line) =>
        line.Length <= MaxQuotedLineLength ? line.ToString() : string.Concat(line[..MaxQuotedLineLength], "...");
}
