using System.Text;

namespace StreamGateway.Publish.Push;

/// <summary>
/// Where one camera is pushed: the full RTSP URL on the center's media server (the host expands its template)
/// and the credentials. The password never leaves this record except into the authenticator:
/// <see cref="ToString"/> and <see cref="RedactedUrl"/> mask it, even when it was written into the URL.
/// </summary>
/// <param name="Url">Required. <c>rtsp://host[:port]/path</c>; user info in the URL is used when no explicit credentials are given.</param>
/// <param name="Username">Optional. User for Basic/Digest; null or empty for none.</param>
/// <param name="Password">Optional. Password for Basic/Digest.</param>
public sealed record PushTarget(Uri Url, string? Username = null, string? Password = null)
{
    /// <summary>The URL without user info, for logs, status and every request line.</summary>
    public string RedactedUrl => WithoutUserInfo(Url);

    /// <summary>The credentials to answer a 401 with: the explicit ones, else the URL's user info; null when none.</summary>
    internal (string User, string Password)? Credentials
    {
        get
        {
            if (!string.IsNullOrEmpty(Username))
            {
                return (Username, Password ?? string.Empty);
            }

            if (string.IsNullOrEmpty(Url.UserInfo))
            {
                return null;
            }

            var info = Url.UserInfo;
            var colon = info.IndexOf(':', StringComparison.Ordinal);
            return colon < 0
                ? (Uri.UnescapeDataString(info), string.Empty)
                : (Uri.UnescapeDataString(info[..colon]), Uri.UnescapeDataString(info[(colon + 1)..]));
        }
    }

    public override string ToString()
    {
        var text = new StringBuilder("PushTarget { Url = ").Append(RedactedUrl);
        var credentials = Credentials;
        if (credentials is { } c)
        {
            text.Append(", Username = ").Append(c.User).Append(", Password = ***");
        }

        return text.Append(" }").ToString();
    }

    /// <summary>Checks what a push needs: an absolute rtsp:// URL with a host. Returns null when fine, else why not.</summary>
    public static string? Validate(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!url.IsAbsoluteUri || !url.Scheme.Equals("rtsp", StringComparison.OrdinalIgnoreCase))
        {
            return "the push URL must be an absolute rtsp:// URL";
        }

        return string.IsNullOrEmpty(url.Host) ? "the push URL has no host" : null;
    }

    internal static string WithoutUserInfo(Uri url)
    {
        if (!url.IsAbsoluteUri)
        {
            return url.OriginalString.Contains('@', StringComparison.Ordinal) ? "***" : url.OriginalString;
        }

        return new UriBuilder(url) { UserName = string.Empty, Password = string.Empty }.Uri.AbsoluteUri;
    }
}
