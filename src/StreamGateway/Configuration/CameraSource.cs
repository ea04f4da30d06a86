namespace StreamGateway.Configuration;

/// <summary>
/// Splits a camera URL into the URL without user info and the credentials it carried
/// (percent-decoded), and checks it is an absolute rtsp:// or rtsps:// URL with a host. Error
/// messages quote the URL with its password masked.
/// </summary>
internal static class CameraSource
{
    public static bool TryParse(string raw, out ParsedSource parsed, out string? error)
    {
        parsed = default;
        var text = raw.Trim();
        var schemeEnd = text.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0)
        {
            error = $"'{Quote(raw)}' is not an absolute rtsp:// or rtsps:// URL";
            return false;
        }

        var scheme = text[..schemeEnd];
        if (!scheme.Equals("rtsp", StringComparison.OrdinalIgnoreCase) && !scheme.Equals("rtsps", StringComparison.OrdinalIgnoreCase))
        {
            error = $"'{Quote(raw)}' must use rtsp:// or rtsps://, not {Quote(scheme)}://";
            return false;
        }

        var authorityStart = schemeEnd + 3;
        var authorityEnd = text.AsSpan(authorityStart).IndexOfAny('/', '?', '#');
        authorityEnd = authorityEnd < 0 ? text.Length : authorityStart + authorityEnd;

        // An '@' after the host means credentials with an unescaped '/', '?' or '#': the URL would
        // parse with the password inside the path, so refuse it rather than guess.
        if (text.AsSpan(authorityEnd).Contains('@'))
        {
            error = $"'{Quote(raw)}' has an '@' after the host; percent-encode '/', '?', '#' and '@' in credentials (%2F, %3F, %23, %40)";
            return false;
        }

        string? user = null;
        string? password = null;
        var stripped = text;
        var at = text.AsSpan(authorityStart, authorityEnd - authorityStart).LastIndexOf('@');
        if (at >= 0)
        {
            var userInfo = text.Substring(authorityStart, at);
            stripped = string.Concat(text.AsSpan(0, authorityStart), text.AsSpan(authorityStart + at + 1));
            var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            user = NullIfEmpty(Uri.UnescapeDataString(colon < 0 ? userInfo : userInfo[..colon]));
            password = colon < 0 ? null : NullIfEmpty(Uri.UnescapeDataString(userInfo[(colon + 1)..]));
            if (user is null && password is not null)
            {
                error = $"'{Quote(raw)}' gives a password without a user name";
                return false;
            }
        }

        if (!Uri.TryCreate(stripped, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            error = $"'{Quote(raw)}' is not a valid URL with a host";
            return false;
        }

        parsed = new ParsedSource(stripped, user, password);
        error = null;
        return true;
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    private static string Quote(string value) => GatewayConfigLoader.Quote(value);

    internal readonly record struct ParsedSource(string Source, string? Username, string? Password);
}
