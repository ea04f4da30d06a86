namespace StreamGateway.Protocols.Rtsp;

/// <summary>Character classes shared by the RTSP parser and the message builders.</summary>
internal static class RtspSyntax
{
    /// <summary>RFC 7230 tchar: what a method or header name may contain.</summary>
    public static bool IsTokenChar(int c)
        => c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9'
            or '!' or '#' or '$' or '%' or '&' or '\'' or '*' or '+' or '-' or '.' or '^' or '_' or '`' or '|' or '~';

    public static bool IsWhitespace(char c) => c is ' ' or '\t';
}
