namespace StreamGateway.Configuration;

/// <summary>Keeps passwords out of messages that quote URLs.</summary>
internal static class SecretRedactor
{
    /// <summary>What a password is replaced with.</summary>
    public const string Mask = "***";

    /// <summary>
    /// Replaces the password in the user info of <paramref name="url"/> ("scheme://user:password@host")
    /// with <see cref="Mask"/>. Built for malformed input too: everything from the first ':' after
    /// "://" (or the start, when there is no "://") up to the LAST '@' is masked, so a password holding
    /// unescaped '/', '@' or spaces is masked whole. Redacting too much (a path with '@') beats leaking.
    /// </summary>
    public static string RedactUrl(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var at = url.LastIndexOf('@');
        if (at < 0)
        {
            return url;
        }

        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        var start = schemeEnd >= 0 && schemeEnd < at ? schemeEnd + 3 : 0;
        var colon = url.IndexOf(':', start, at - start);
        if (colon < 0)
        {
            return url; // a user name only: not a secret
        }

        return string.Concat(url.AsSpan(0, colon + 1), Mask, url.AsSpan(at));
    }
}
