using System.Globalization;
using System.Text;

namespace StreamGateway.Protocols.Rtsp;

/// <summary>An RTSP request or response: start line, ordered headers and an optional body.</summary>
public abstract class RtspMessage
{
    private static readonly Encoding Utf8Lenient = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    private protected RtspMessage()
    {
    }

    /// <summary>Header fields in wire order.</summary>
    public RtspHeaders Headers { get; } = new();

    /// <summary>The body (often SDP). The message owns this memory; the parser copies it out of the pipe.</summary>
    public ReadOnlyMemory<byte> Body { get; set; }

    /// <summary>The CSeq header as a number, or null when absent or not a number.</summary>
    public int? CSeq
    {
        get
        {
            var value = Headers.Get("CSeq");
            return value is not null
                && int.TryParse(value.AsSpan().Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var cseq)
                ? cseq
                : null;
        }
    }

    /// <summary>The body decoded as UTF-8; invalid bytes become U+FFFD rather than failing.</summary>
    public string BodyText => Body.IsEmpty ? string.Empty : Utf8Lenient.GetString(Body.Span);

    /// <summary>
    /// The wire form: start line, headers and a blank line with CRLF endings, then the body.
    /// Content-Length is always computed from <see cref="Body"/>; a stale one in <see cref="Headers"/> is dropped.
    /// </summary>
    public byte[] Serialize()
    {
        var text = new StringBuilder(256);
        AppendStartLine(text);
        text.Append("\r\n");
        foreach (var header in Headers)
        {
            if (string.Equals(header.Key, "Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            text.Append(header.Key).Append(": ").Append(header.Value).Append("\r\n");
        }

        if (!Body.IsEmpty)
        {
            text.Append("Content-Length: ").Append(Body.Length.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        }

        text.Append("\r\n");

        var head = text.ToString();
        var headLength = Encoding.UTF8.GetByteCount(head);
        var bytes = new byte[headLength + Body.Length];
        Encoding.UTF8.GetBytes(head, bytes);
        Body.Span.CopyTo(bytes.AsSpan(headLength));
        return bytes;
    }

    private protected abstract void AppendStartLine(StringBuilder text);
}

/// <summary>An RTSP request: <c>METHOD uri RTSP/1.0</c>.</summary>
public sealed class RtspRequest : RtspMessage
{
    public RtspRequest(string method, string uri)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(uri);
        if (!RtspHeaders.IsValidName(method))
        {
            throw new ArgumentException("Method must be a non-empty token.", nameof(method));
        }

        if (uri.Length == 0 || uri.AsSpan().IndexOfAny(" \t\r\n\0") >= 0)
        {
            throw new ArgumentException("URI must be non-empty and contain no whitespace.", nameof(uri));
        }

        Method = method;
        Uri = uri;
    }

    public string Method { get; }

    /// <summary>The request URI exactly as on the wire (may be <c>*</c> for OPTIONS).</summary>
    public string Uri { get; }

    public override string ToString() => $"{Method} {Uri} (CSeq {CSeq?.ToString(CultureInfo.InvariantCulture) ?? "-"})";

    private protected override void AppendStartLine(StringBuilder text)
        => text.Append(Method).Append(' ').Append(Uri).Append(" RTSP/1.0");
}

/// <summary>An RTSP response: <c>RTSP/1.0 code reason</c>.</summary>
public sealed class RtspResponse : RtspMessage
{
    /// <param name="statusCode">Three-digit status code.</param>
    /// <param name="reason">Reason phrase; null gives the standard phrase for the code.</param>
    public RtspResponse(int statusCode, string? reason = null)
    {
        if (statusCode is < 100 or > 999)
        {
            throw new ArgumentOutOfRangeException(nameof(statusCode), statusCode, "Status code must have three digits.");
        }

        if (reason is not null && reason.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0)
        {
            throw new ArgumentException("Reason must not contain CR, LF or NUL.", nameof(reason));
        }

        StatusCode = statusCode;
        Reason = reason ?? GetReasonPhrase(statusCode);
    }

    public int StatusCode { get; }

    public string Reason { get; }

    /// <summary>The RFC 2326 reason phrase for <paramref name="code"/>, or a generic one by class.</summary>
    public static string GetReasonPhrase(int code) => code switch
    {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        250 => "Low on Storage Space",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Moved Temporarily",
        303 => "See Other",
        304 => "Not Modified",
        305 => "Use Proxy",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Time-out",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Request Entity Too Large",
        414 => "Request-URI Too Large",
        415 => "Unsupported Media Type",
        451 => "Parameter Not Understood",
        452 => "Conference Not Found",
        453 => "Not Enough Bandwidth",
        454 => "Session Not Found",
        455 => "Method Not Valid in This State",
        456 => "Header Field Not Valid for Resource",
        457 => "Invalid Range",
        458 => "Parameter Is Read-Only",
        459 => "Aggregate operation not allowed",
        460 => "Only aggregate operation allowed",
        461 => "Unsupported transport",
        462 => "Destination unreachable",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Time-out",
        505 => "RTSP Version not supported",
        551 => "Option not supported",
        >= 100 and < 200 => "Informational",
        >= 200 and < 300 => "Success",
        >= 300 and < 400 => "Redirection",
        >= 400 and < 500 => "Client Error",
        _ => "Server Error",
    };

    public override string ToString() => $"{StatusCode} {Reason} (CSeq {CSeq?.ToString(CultureInfo.InvariantCulture) ?? "-"})";

    private protected override void AppendStartLine(StringBuilder text)
        => text.Append("RTSP/1.0 ").Append(StatusCode.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(Reason);
}
