using System.Buffers;
using System.Globalization;
using System.Text;

namespace StreamGateway.Protocols.Rtsp;

/// <summary>
/// Incremental, bounded parser for RTSP/1.0 requests and responses. Pure: no I/O, no state between calls.
/// Every variable-length part is sliced to its limit before it is searched, so hostile input costs at most
/// the limit, never the whole buffer. Lenient where cameras are sloppy (bare LF, padding, odd casing),
/// strict where the byte stream is clearly not RTSP (HTTP, binary, interleaved data where a message belongs).
/// </summary>
public static class RtspParser
{
    /// <summary>Longest start line (and longest run of blank lines before it), CR included.</summary>
    public const int MaxStartLineLength = 4096;

    /// <summary>Longest single header line, CR included.</summary>
    public const int MaxHeaderLineLength = 8192;

    public const int MaxHeaderCount = 100;

    /// <summary>All header lines together, terminators included, not counting the start line or the final blank line.</summary>
    public const int MaxHeaderBytes = 32 * 1024;

    public const int MaxBodyLength = 256 * 1024;

    private const int PrefixCheckLength = 16;

    /// <summary>
    /// Parses one whole message (start line, headers, Content-Length body).
    /// <list type="number">
    /// <item>Skips CR, LF, SP and HT left over between messages (bounded by <see cref="MaxStartLineLength"/>).</item>
    /// <item>Rejects at once a stream whose first bytes cannot begin an RTSP start line.</item>
    /// <item>Reads the start line, then header lines until a blank line, each sliced to its limit.</item>
    /// <item>Copies the body out of the sequence so the message outlives the caller's buffer.</item>
    /// </list>
    /// </summary>
    /// <returns>
    /// <see cref="OperationStatus.Done"/>: <paramref name="reader"/> is past the message.
    /// <see cref="OperationStatus.NeedMoreData"/>: <paramref name="reader"/> is untouched.
    /// <see cref="OperationStatus.InvalidData"/>: <paramref name="error"/> says why; the reader is untouched and the
    /// connection should be closed. The error never quotes header values (they may hold credentials).
    /// </returns>
    public static OperationStatus TryParseMessage(ref SequenceReader<byte> reader, out RtspMessage? message, out string? error)
    {
        message = null;
        error = null;
        var r = reader;

        var status = SkipLeadingWhitespace(ref r, out error);
        if (status != OperationStatus.Done)
        {
            return status;
        }

        status = CheckStartLinePrefix(r, out error);
        if (status != OperationStatus.Done)
        {
            return status;
        }

        status = TryReadLine(ref r, MaxStartLineLength, out var startLineBytes);
        if (status == OperationStatus.NeedMoreData)
        {
            return status;
        }

        if (status == OperationStatus.InvalidData)
        {
            error = $"RTSP start line longer than {MaxStartLineLength} bytes.";
            return status;
        }

        if (!TryCreateMessage(Decode(startLineBytes), out var parsed, out error))
        {
            return OperationStatus.InvalidData;
        }

        status = ReadHeaders(ref r, parsed.Headers, out error);
        if (status != OperationStatus.Done)
        {
            return status;
        }

        if (!TryGetContentLength(parsed.Headers, out var contentLength, out error))
        {
            return OperationStatus.InvalidData;
        }

        if (contentLength > 0)
        {
            if (r.Remaining < contentLength)
            {
                return OperationStatus.NeedMoreData;
            }

            parsed.Body = r.UnreadSequence.Slice(0, contentLength).ToArray();
            r.Advance(contentLength);
        }

        message = parsed;
        reader = r;
        return OperationStatus.Done;
    }

    /// <summary>
    /// Consumes CR, LF, SP and HT; returns how many bytes were skipped. A demultiplexer calls it before looking
    /// at the next byte to decide between an interleaved frame (<c>$</c>) and a message, since some cameras put
    /// a stray CRLF after a message body.
    /// </summary>
    public static long SkipLineBreaks(ref SequenceReader<byte> reader)
        => reader.AdvancePastAny((byte)'\r', (byte)'\n', (byte)' ', (byte)'\t');

    private static OperationStatus SkipLeadingWhitespace(ref SequenceReader<byte> r, out string? error)
    {
        error = null;
        var window = r.UnreadSequence.Slice(0, Math.Min(r.Remaining, (long)MaxStartLineLength + 1));
        var windowReader = new SequenceReader<byte>(window);
        var skipped = windowReader.AdvancePastAny((byte)'\r', (byte)'\n', (byte)' ', (byte)'\t');
        if (skipped > MaxStartLineLength)
        {
            error = $"More than {MaxStartLineLength} bytes of blank lines before an RTSP start line.";
            return OperationStatus.InvalidData;
        }

        if (skipped == r.Remaining)
        {
            return OperationStatus.NeedMoreData;
        }

        r.Advance(skipped);
        return OperationStatus.Done;
    }

    // Fails fast on the first bytes, so a peer speaking HTTP or sending binary is not buffered up to the
    // line limit. Only rejects prefixes no valid start line can have, so a partial message still waits.
    private static OperationStatus CheckStartLinePrefix(SequenceReader<byte> r, out string? error)
    {
        error = null;
        Span<byte> head = stackalloc byte[PrefixCheckLength];
        var length = (int)Math.Min(PrefixCheckLength, r.Remaining);
        r.UnreadSequence.Slice(0, length).CopyTo(head);
        head = head[..length];

        if (head[0] == InterleavedFrame.Magic)
        {
            error = "Interleaved binary frame where an RTSP message was expected.";
            return OperationStatus.InvalidData;
        }

        if (head.StartsWith("RTSP/"u8) || "RTSP/"u8.StartsWith(head))
        {
            return OperationStatus.Done;
        }

        if (head.StartsWith("HTTP/"u8))
        {
            error = "The peer answered with HTTP, not RTSP (wrong port or protocol?).";
            return OperationStatus.InvalidData;
        }

        foreach (var b in head)
        {
            if (b is (byte)' ')
            {
                break;
            }

            if (!RtspSyntax.IsTokenChar(b))
            {
                error = "Start line is neither an RTSP status line nor a request line (unexpected byte 0x"
                    + b.ToString("X2", CultureInfo.InvariantCulture) + ").";
                return OperationStatus.InvalidData;
            }
        }

        return OperationStatus.Done;
    }

    /// <summary>
    /// Reads one line ending in LF (an optional CR before it is dropped). The input is sliced to
    /// <paramref name="maxLength"/> + 1 bytes before the search, so the cost is bounded.
    /// InvalidData when <paramref name="maxLength"/> bytes passed without a line end.
    /// </summary>
    private static OperationStatus TryReadLine(ref SequenceReader<byte> r, int maxLength, out ReadOnlySequence<byte> line)
    {
        var window = r.UnreadSequence.Slice(0, Math.Min(r.Remaining, (long)maxLength + 1));
        var lineFeed = window.PositionOf((byte)'\n');
        if (lineFeed is null)
        {
            line = default;
            return window.Length > maxLength ? OperationStatus.InvalidData : OperationStatus.NeedMoreData;
        }

        line = window.Slice(0, lineFeed.Value);
        r.Advance(line.Length + 1);
        if (!line.IsEmpty && line.Slice(line.Length - 1).FirstSpan[0] == (byte)'\r')
        {
            line = line.Slice(0, line.Length - 1);
        }

        return OperationStatus.Done;
    }

    private static OperationStatus ReadHeaders(ref SequenceReader<byte> r, RtspHeaders headers, out string? error)
    {
        error = null;
        long headerBytes = 0;
        while (true)
        {
            var budget = MaxHeaderBytes - headerBytes;

            // With the budget spent only the blank line ("\r") may follow.
            var lineLimit = (int)Math.Max(1, Math.Min(MaxHeaderLineLength, budget));
            var before = r.Consumed;
            var status = TryReadLine(ref r, lineLimit, out var lineBytes);
            if (status == OperationStatus.NeedMoreData)
            {
                return status;
            }

            if (status == OperationStatus.InvalidData)
            {
                error = lineLimit == MaxHeaderLineLength
                    ? $"RTSP header line longer than {MaxHeaderLineLength} bytes."
                    : $"RTSP headers longer than {MaxHeaderBytes} bytes.";
                return status;
            }

            if (lineBytes.IsEmpty)
            {
                return OperationStatus.Done;
            }

            headerBytes += r.Consumed - before;
            if (headerBytes > MaxHeaderBytes)
            {
                error = $"RTSP headers longer than {MaxHeaderBytes} bytes.";
                return OperationStatus.InvalidData;
            }

            if (headers.Count == MaxHeaderCount)
            {
                error = $"More than {MaxHeaderCount} RTSP headers.";
                return OperationStatus.InvalidData;
            }

            var line = Decode(lineBytes);
            var colon = line.IndexOf(':');
            if (colon < 0)
            {
                error = $"RTSP header line {headers.Count + 1} has no colon.";
                return OperationStatus.InvalidData;
            }

            var name = line.AsSpan(0, colon).TrimEnd(" \t");
            if (!RtspHeaders.IsValidName(name))
            {
                error = $"RTSP header line {headers.Count + 1} has an invalid name.";
                return OperationStatus.InvalidData;
            }

            var value = line.AsSpan(colon + 1).Trim(" \t");
            if (value.IndexOfAny('\r', '\0') >= 0)
            {
                error = $"RTSP header '{name}' contains a bare CR or NUL.";
                return OperationStatus.InvalidData;
            }

            headers.Add(name.ToString(), value.ToString());
        }
    }

    private static bool TryCreateMessage(string startLine, out RtspMessage message, out string? error)
    {
        message = null!;
        error = null;
        if (startLine.AsSpan().IndexOfAny('\r', '\0') >= 0)
        {
            error = "RTSP start line contains a bare CR or NUL.";
            return false;
        }

        if (startLine.StartsWith("RTSP/", StringComparison.Ordinal))
        {
            return TryCreateResponse(startLine, out message, out error);
        }

        var parts = startLine.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 3)
        {
            error = "RTSP request line must be 'METHOD URI RTSP/1.0'.";
            return false;
        }

        if (!RtspHeaders.IsValidName(parts[0]))
        {
            error = "RTSP request method is not a token.";
            return false;
        }

        if (!IsRtspVersion(parts[2]))
        {
            error = parts[2].StartsWith("HTTP/", StringComparison.OrdinalIgnoreCase)
                ? "The peer sent an HTTP request, not RTSP."
                : "RTSP request line does not end in an RTSP version.";
            return false;
        }

        message = new RtspRequest(parts[0], parts[1]);
        return true;
    }

    private static bool TryCreateResponse(string line, out RtspMessage message, out string? error)
    {
        message = null!;
        error = null;
        var span = line.AsSpan();
        var space = span.IndexOfAny(' ', '\t');
        if (space < 0 || !IsRtspVersion(span[..space]))
        {
            error = "RTSP status line has no valid version and status code.";
            return false;
        }

        var rest = span[(space + 1)..].TrimStart(" \t");
        if (rest.Length < 3 || !char.IsAsciiDigit(rest[0]) || !char.IsAsciiDigit(rest[1]) || !char.IsAsciiDigit(rest[2])
            || rest[0] == '0' || (rest.Length > 3 && !RtspSyntax.IsWhitespace(rest[3])))
        {
            error = "RTSP status line has no three-digit status code.";
            return false;
        }

        var code = ((rest[0] - '0') * 100) + ((rest[1] - '0') * 10) + (rest[2] - '0');
        var reason = rest[3..].Trim(" \t");

        // "RTSP/1.0 200" with no phrase: fall back to the standard one.
        message = new RtspResponse(code, reason.IsEmpty ? null : reason.ToString());
        return true;
    }

    private static bool IsRtspVersion(ReadOnlySpan<char> version)
        => version.Length == 8 && version.StartsWith("RTSP/") && char.IsAsciiDigit(version[5])
            && version[6] == '.' && char.IsAsciiDigit(version[7]);

    private static bool TryGetContentLength(RtspHeaders headers, out int length, out string? error)
    {
        length = 0;
        error = null;
        var seen = false;
        foreach (var value in headers.GetAll("Content-Length"))
        {
            if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                error = "Content-Length is not a non-negative number.";
                return false;
            }

            if (parsed > MaxBodyLength)
            {
                error = $"Content-Length exceeds the {MaxBodyLength}-byte body limit.";
                return false;
            }

            if (seen && parsed != length)
            {
                error = "Conflicting Content-Length headers.";
                return false;
            }

            seen = true;
            length = (int)parsed;
        }

        return true;
    }

    // Control plane: a string per line is fine; lenient UTF-8 so a camera's Latin-1 never throws.
    private static string Decode(in ReadOnlySequence<byte> bytes)
        => bytes.IsEmpty ? string.Empty : Encoding.UTF8.GetString(bytes);
}
