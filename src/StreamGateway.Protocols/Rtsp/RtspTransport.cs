using System.Globalization;
using System.Text;

namespace StreamGateway.Protocols.Rtsp;

/// <summary>
/// One transport specification of an RTSP <c>Transport</c> header (RFC 2326 section 12.39).
/// Parsing is lenient (cameras pad ssrc with spaces, quote or lower-case mode, send single ports);
/// <see cref="ToHeaderValue"/> writes one canonical form.
/// </summary>
public sealed record RtspTransport
{
    /// <summary>"RTP/AVP", "RTP/AVP/TCP" or "RTP/AVP/UDP" as given, upper-cased.</summary>
    public string Protocol { get; init; } = "RTP/AVP";

    /// <summary>
    /// True for "/TCP", and for a bare "RTP/AVP" that carries <c>interleaved=</c> (Escam Q6 answers a TCP SETUP that way).
    /// </summary>
    public bool IsTcp => Protocol.EndsWith("/TCP", StringComparison.Ordinal)
        || (Interleaved is not null && !Protocol.EndsWith("/UDP", StringComparison.Ordinal));

    /// <summary>True when the spec says <c>multicast</c>; otherwise <c>unicast</c> is written.</summary>
    public bool IsMulticast { get; init; }

    /// <summary>Interleaved channel pair; a single channel N is read as N-(N+1).</summary>
    public (int First, int Second)? Interleaved { get; init; }

    public (int First, int Second)? ClientPort { get; init; }

    public (int First, int Second)? ServerPort { get; init; }

    /// <summary>Multicast port pair (<c>port=</c>).</summary>
    public (int First, int Second)? Port { get; init; }

    public string? Destination { get; init; }

    /// <summary>Null when absent or empty (<c>source=</c>).</summary>
    public string? Source { get; init; }

    public uint? Ssrc { get; init; }

    /// <summary>Upper-cased and unquoted: <c>mode="play"</c> gives "PLAY".</summary>
    public string? Mode { get; init; }

    public int? Ttl { get; init; }

    /// <summary>Parses one transport spec (no commas). Unknown parameters are ignored.</summary>
    public static bool TryParse(string spec, out RtspTransport? transport, out string? error)
    {
        transport = null;
        error = null;
        if (string.IsNullOrWhiteSpace(spec))
        {
            error = "Transport spec is empty.";
            return false;
        }

        var parts = spec.Split(';');
        var protocol = parts[0].Trim().ToUpperInvariant();
        if (protocol is not ("RTP/AVP" or "RTP/AVP/TCP" or "RTP/AVP/UDP"))
        {
            error = "Transport protocol is not RTP/AVP, RTP/AVP/TCP or RTP/AVP/UDP.";
            return false;
        }

        var result = new RtspTransport { Protocol = protocol };
        for (var i = 1; i < parts.Length; i++)
        {
            var part = parts[i].Trim();
            if (part.Length == 0)
            {
                continue;
            }

            var equals = part.IndexOf('=');
            var name = (equals < 0 ? part : part[..equals]).Trim().ToLowerInvariant();
            var value = equals < 0 ? string.Empty : Unquote(part[(equals + 1)..].Trim());
            switch (name)
            {
                case "unicast":
                    result = result with { IsMulticast = false };
                    break;
                case "multicast":
                    result = result with { IsMulticast = true };
                    break;
                case "interleaved":
                    if (!TryParseRange(value, 255, out var channels))
                    {
                        error = "Transport interleaved= is not a channel or channel pair in 0..255.";
                        return false;
                    }

                    result = result with { Interleaved = channels };
                    break;
                case "client_port":
                case "server_port":
                case "port":
                    if (!TryParseRange(value, 65535, out var ports))
                    {
                        error = $"Transport {name}= is not a port or port pair.";
                        return false;
                    }

                    result = name switch
                    {
                        "client_port" => result with { ClientPort = ports },
                        "server_port" => result with { ServerPort = ports },
                        _ => result with { Port = ports },
                    };
                    break;
                case "destination":
                    result = result with { Destination = value.Length == 0 ? null : value };
                    break;
                case "source":
                    result = result with { Source = value.Length == 0 ? null : value };
                    break;
                case "ssrc":
                    if (!TryParseSsrc(value, out var ssrc))
                    {
                        error = "Transport ssrc= is not a 32-bit hex number.";
                        return false;
                    }

                    result = result with { Ssrc = ssrc };
                    break;
                case "mode":
                    result = result with { Mode = value.Length == 0 ? null : value.ToUpperInvariant() };
                    break;
                case "ttl":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var ttl) || ttl > 255)
                    {
                        error = "Transport ttl= is not a number in 0..255.";
                        return false;
                    }

                    result = result with { Ttl = ttl };
                    break;
                default:
                    // append, layers, x-... : not needed by a relay, ignored.
                    break;
            }
        }

        transport = result;
        return true;
    }

    /// <summary>Parses a header value holding comma-separated alternatives; unparseable ones are skipped.</summary>
    public static IReadOnlyList<RtspTransport> ParseList(string headerValue)
    {
        var list = new List<RtspTransport>();
        if (string.IsNullOrEmpty(headerValue))
        {
            return list;
        }

        foreach (var spec in headerValue.Split(','))
        {
            if (TryParse(spec, out var transport, out _))
            {
                list.Add(transport!);
            }
        }

        return list;
    }

    /// <summary>
    /// Canonical form: protocol; unicast|multicast; destination; source; interleaved; ttl; port; client_port;
    /// server_port; ssrc (8 upper-case hex digits); mode.
    /// </summary>
    public string ToHeaderValue()
    {
        var text = new StringBuilder(96);
        text.Append(Protocol).Append(IsMulticast ? ";multicast" : ";unicast");
        if (Destination is not null)
        {
            text.Append(";destination=").Append(Destination);
        }

        if (Source is not null)
        {
            text.Append(";source=").Append(Source);
        }

        AppendRange(text, "interleaved", Interleaved);
        if (Ttl is { } ttl)
        {
            text.Append(";ttl=").Append(ttl.ToString(CultureInfo.InvariantCulture));
        }

        AppendRange(text, "port", Port);
        AppendRange(text, "client_port", ClientPort);
        AppendRange(text, "server_port", ServerPort);
        if (Ssrc is { } ssrc)
        {
            text.Append(";ssrc=").Append(ssrc.ToString("X8", CultureInfo.InvariantCulture));
        }

        if (Mode is not null)
        {
            text.Append(";mode=").Append(Mode);
        }

        return text.ToString();
    }

    private static void AppendRange(StringBuilder text, string name, (int First, int Second)? range)
    {
        if (range is { } r)
        {
            text.Append(';').Append(name).Append('=').Append(r.First.ToString(CultureInfo.InvariantCulture))
                .Append('-').Append(r.Second.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static string Unquote(string value)
        => value.Length >= 2 && value[0] == '"' && value[^1] == '"' ? value[1..^1].Trim() : value;

    private static bool TryParseRange(string value, int max, out (int First, int Second) range)
    {
        range = default;
        var dash = value.IndexOf('-');
        var firstText = (dash < 0 ? value : value[..dash]).Trim();
        if (!int.TryParse(firstText, NumberStyles.None, CultureInfo.InvariantCulture, out var first) || first > max)
        {
            return false;
        }

        // A single value N means the pair N, N+1 (RTP then RTCP).
        var second = first + 1;
        if (dash >= 0
            && !int.TryParse(value[(dash + 1)..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out second))
        {
            return false;
        }

        if (second > max)
        {
            return false;
        }

        range = (first, second);
        return true;
    }

    private static bool TryParseSsrc(string value, out uint ssrc)
    {
        var text = value.Trim();
        if (text.Length is > 0 and <= 8
            && uint.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ssrc))
        {
            return true;
        }

        // Some cameras write the ssrc in decimal; more than 8 digits cannot be 32-bit hex.
        return uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ssrc);
    }
}
