using System.Text.RegularExpressions;

namespace StreamGateway.IntegrationTests.Infrastructure;

/// <summary>
/// Scrubs secrets from tool output before it is kept, so passwords never reach test output, exception
/// messages or ToString: the known secrets, and the password part of any "scheme://user:password@" URL.
/// </summary>
internal sealed partial class Redactor(IEnumerable<string>? secrets = null)
{
    public const string Mask = "***";

    private readonly string[] _secrets = (secrets ?? []).Where(s => !string.IsNullOrEmpty(s)).Distinct().ToArray();

    public string Redact(string text)
    {
        foreach (var secret in _secrets)
        {
            text = text.Replace(secret, Mask, StringComparison.Ordinal);
            var escaped = Uri.EscapeDataString(secret);
            if (escaped != secret)
            {
                text = text.Replace(escaped, Mask, StringComparison.Ordinal);
            }
        }

        return UrlPassword().Replace(text, "$1" + Mask + "@");
    }

    /// <summary>Redacts a URL alone, for messages that name the URL a tool was pointed at.</summary>
    public static string RedactUrl(string url) => UrlPassword().Replace(url, "$1" + Mask + "@");

    [GeneratedRegex(@"([a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)[^@\s/]*@")]
    private static partial Regex UrlPassword();
}
