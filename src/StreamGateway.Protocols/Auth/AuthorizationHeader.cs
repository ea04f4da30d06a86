namespace StreamGateway.Protocols.Auth;

/// <summary>Parses an <c>Authorization</c> header (server side).</summary>
public static class AuthorizationHeader
{
    /// <summary>Parameter name under which a token68 (e.g. Basic credentials) is returned.</summary>
    public const string Token68Key = "token68";

    /// <summary>
    /// Splits <c>Basic dXNlcjpwYXNz</c> into scheme "Basic" and { token68 = "dXNlcjpwYXNz" }, and
    /// <c>Digest username="u", ...</c> into scheme "Digest" and its parameters (case-insensitive names).
    /// </summary>
    public static bool TryParse(string value, out string scheme, out IReadOnlyDictionary<string, string> parameters)
    {
        scheme = string.Empty;
        parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        var reader = new AuthParameterReader(value);
        reader.SkipSeparators();
        var token = reader.ReadToken();
        if (token.Length == 0 || reader.NextIsEquals())
        {
            return false;
        }

        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (reader.NextIsToken68())
        {
            result[Token68Key] = reader.ReadToken68();
        }

        while (reader.NextIsParameter())
        {
            reader.SkipSeparators();
            var name = reader.ReadToken();
            result.TryAdd(name, reader.ReadValue());
        }

        scheme = token;
        parameters = result;
        return true;
    }
}
