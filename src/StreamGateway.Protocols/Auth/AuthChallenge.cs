namespace StreamGateway.Protocols.Auth;

/// <summary>
/// One challenge from a <c>WWW-Authenticate</c> header: a scheme ("Basic", "Digest") and its parameters,
/// whose names compare case-insensitively.
/// </summary>
public sealed record AuthChallenge(string Scheme, IReadOnlyDictionary<string, string> Parameters)
{
    public string? Realm => Get("realm");

    public string? Nonce => Get("nonce");

    public string? Opaque => Get("opaque");

    public string? Algorithm => Get("algorithm");

    public string? Qop => Get("qop");

    /// <summary>True for <c>stale=true</c>, quoted or not, any case.</summary>
    public bool Stale => string.Equals(Get("stale"), "true", StringComparison.OrdinalIgnoreCase);

    public bool IsScheme(string scheme) => string.Equals(Scheme, scheme, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Parses every challenge in one header value (RFC 7235 allows several, comma-separated). A token not
    /// followed by '=' starts a new challenge; quoted values may contain commas. Never throws.
    /// </summary>
    public static IReadOnlyList<AuthChallenge> Parse(string headerValue)
    {
        var challenges = new List<AuthChallenge>();
        if (string.IsNullOrWhiteSpace(headerValue))
        {
            return challenges;
        }

        var reader = new AuthParameterReader(headerValue);
        reader.SkipSeparators();
        while (!reader.AtEnd)
        {
            var scheme = reader.ReadToken();
            if (scheme.Length == 0)
            {
                // Stray '=' or similar garbage: skip one value and resynchronise.
                reader.ReadValue();
                reader.SkipSeparators();
                continue;
            }

            var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            if (reader.NextIsToken68())
            {
                // "Negotiate abc==": credentials-like blob, kept under a reserved name.
                parameters[AuthorizationHeader.Token68Key] = reader.ReadToken68();
            }

            while (reader.NextIsParameter())
            {
                reader.SkipSeparators();
                var name = reader.ReadToken();
                var value = reader.ReadValue();
                parameters.TryAdd(name, value);
            }

            challenges.Add(new AuthChallenge(scheme, parameters));
            reader.SkipSeparators();
        }

        return challenges;
    }

    private string? Get(string name) => Parameters.TryGetValue(name, out var value) ? value : null;
}
