namespace StreamGateway.Publish;

/// <summary>Pure helpers that turn request URLs into published paths and track numbers.</summary>
internal static class RtspUrl
{
    private const string TrackPrefix = "trackID=";

    /// <summary>
    /// The published path of a request URL: scheme, user info, host and port removed, query and fragment
    /// removed, percent-decoding applied, no leading or trailing slash. "*" and empty give "".
    /// </summary>
    public static string GetPath(string uri)
    {
        var s = uri.AsSpan();
        var query = s.IndexOfAny('?', '#');
        if (query >= 0)
        {
            s = s[..query];
        }

        var scheme = s.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            var rest = s[(scheme + 3)..];
            var slash = rest.IndexOf('/');
            s = slash < 0 ? [] : rest[slash..];
        }

        var trimmed = s.Trim('/').ToString();
        if (trimmed == "*")
        {
            return string.Empty;
        }

        try
        {
            return Uri.UnescapeDataString(trimmed);
        }
        catch (UriFormatException)
        {
            return trimmed;
        }
    }

    /// <summary>
    /// Splits a SETUP path into stream path and track: "a/b/trackID=1" gives ("a/b", 1); "a/b" gives ("a/b", null).
    /// A malformed track number gives track -1 so the caller answers 404.
    /// </summary>
    public static (string StreamPath, int? Track) SplitTrack(string path)
    {
        var slash = path.LastIndexOf('/');
        var last = slash < 0 ? path : path[(slash + 1)..];
        if (!last.StartsWith(TrackPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return (path, null);
        }

        var streamPath = slash < 0 ? string.Empty : path[..slash];
        var number = last.AsSpan(TrackPrefix.Length);
        return int.TryParse(number, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var track)
            ? (streamPath, track)
            : (streamPath, -1);
    }

    /// <summary>The Content-Base of a DESCRIBE answer: the request URL without query, ending in one slash.</summary>
    public static string ContentBase(string uri)
    {
        var query = uri.AsSpan().IndexOfAny('?', '#');
        var s = query >= 0 ? uri[..query] : uri;
        return s.EndsWith('/') ? s : s + "/";
    }
}
