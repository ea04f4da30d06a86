using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace StreamGateway.Protocols.Auth;

/// <summary>What a server learns from a client's credentials.</summary>
public enum CredentialCheck
{
    /// <summary>No usable credentials: answer 401 with a fresh challenge.</summary>
    Missing,

    /// <summary>The user is known and the password (or digest response) is right.</summary>
    Valid,

    /// <summary>Unknown user, wrong password or response, or a nonce this server never issued: answer 401.</summary>
    Invalid,

    /// <summary>The response is right but its nonce expired: answer 401 with <c>stale=true</c> so the client retries silently.</summary>
    Stale,
}

/// <summary>
/// Server-side HTTP/RTSP authentication (RFC 2617, RFC 7616 with MD5, RFC 7617 Basic), pure: no I/O,
/// time and keys passed in. Passwords are never needed: every check works from the Digest HA1,
/// MD5("user:realm:password"), which is what the config stores.
/// </summary>
/// <remarks>
/// Nonces are stateless: <c>hex(issued ticks, 8 bytes) + hex(HMAC-SHA256(key, ticks)[..16])</c>, so any
/// nonce can be checked for origin and age without a table. Replays within a nonce's lifetime are not
/// tracked (no nc bookkeeping): the transport to the gateway is a closed operations network and a replayed
/// request only re-reads a stream the same user may read.
/// </remarks>
public static class DigestServer
{
    /// <summary>Longest user name accepted in credentials (bounds work before any lookup).</summary>
    public const int MaxUserNameLength = 128;

    private const int NonceTimeBytes = 8;
    private const int NonceMacBytes = 16;

    /// <summary>MD5("user:realm:password") in lower-case hex: the Digest HA1, also the stored password form.</summary>
    public static string ComputeHa1(string username, string realm, string password)
    {
        ArgumentNullException.ThrowIfNull(username);
        ArgumentNullException.ThrowIfNull(realm);
        ArgumentNullException.ThrowIfNull(password);
        return Md5Hex($"{username}:{realm}:{password}");
    }

    /// <summary>A new nonce issued at <paramref name="now"/>, bound to <paramref name="key"/>.</summary>
    public static string CreateNonce(ReadOnlySpan<byte> key, DateTimeOffset now)
    {
        Span<byte> nonce = stackalloc byte[NonceTimeBytes + NonceMacBytes];
        BinaryPrimitives.WriteInt64BigEndian(nonce, now.UtcTicks);
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(key, nonce[..NonceTimeBytes], mac);
        mac[..NonceMacBytes].CopyTo(nonce[NonceTimeBytes..]);
        return Convert.ToHexStringLower(nonce);
    }

    /// <summary>
    /// <see cref="CredentialCheck.Valid"/> for a nonce from <paramref name="key"/> issued at most <paramref name="lifetime"/>
    /// ago, <see cref="CredentialCheck.Stale"/> when older, <see cref="CredentialCheck.Invalid"/> when forged or malformed.
    /// </summary>
    public static CredentialCheck CheckNonce(string? nonce, ReadOnlySpan<byte> key, DateTimeOffset now, TimeSpan lifetime)
    {
        Span<byte> bytes = stackalloc byte[NonceTimeBytes + NonceMacBytes];
        if (nonce is null || nonce.Length != 2 * bytes.Length
            || Convert.FromHexString(nonce, bytes, out _, out var written) != System.Buffers.OperationStatus.Done
            || written != bytes.Length)
        {
            return CredentialCheck.Invalid;
        }

        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(key, bytes[..NonceTimeBytes], mac);
        if (!CryptographicOperations.FixedTimeEquals(mac[..NonceMacBytes], bytes[NonceTimeBytes..]))
        {
            return CredentialCheck.Invalid;
        }

        var age = now.UtcTicks - BinaryPrimitives.ReadInt64BigEndian(bytes);
        return age < -TimeSpan.TicksPerMinute ? CredentialCheck.Invalid // from the future: clock or forgery
            : age > lifetime.Ticks ? CredentialCheck.Stale
            : CredentialCheck.Valid;
    }

    /// <summary>The <c>WWW-Authenticate</c> value for Digest: MD5, qop="auth", with <c>stale=true</c> when asked.</summary>
    public static string DigestChallenge(string realm, string nonce, bool stale) =>
        $"Digest realm=\"{realm}\", nonce=\"{nonce}\", algorithm=MD5, qop=\"auth\"" + (stale ? ", stale=true" : string.Empty);

    /// <summary>The <c>WWW-Authenticate</c> value for Basic.</summary>
    public static string BasicChallenge(string realm) => $"Basic realm=\"{realm}\"";

    /// <summary>
    /// Checks Digest credentials (the parameters of an <c>Authorization: Digest ...</c> header). <paramref name="ha1Of"/>
    /// returns the stored HA1 of a user, or null for an unknown user. Accepts qop=auth and, for old clients that
    /// ignore qop (GStreamer's rtspsrc among them), the RFC 2069 form without it. MD5 only.
    /// </summary>
    /// <param name="requestUriMatches">Whether the credentials' <c>uri</c> names the request's resource (a response for one URL must not open another).</param>
    public static CredentialCheck VerifyDigest(
        IReadOnlyDictionary<string, string> parameters,
        string method,
        string realm,
        Func<string, string?> ha1Of,
        Func<string, bool> requestUriMatches,
        ReadOnlySpan<byte> nonceKey,
        DateTimeOffset now,
        TimeSpan nonceLifetime,
        out string? username)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(ha1Of);
        ArgumentNullException.ThrowIfNull(requestUriMatches);
        username = null;
        if (!parameters.TryGetValue("username", out var user) || user.Length is 0 or > MaxUserNameLength
            || !parameters.TryGetValue("nonce", out var nonce)
            || !parameters.TryGetValue("uri", out var uri)
            || !parameters.TryGetValue("response", out var response)
            || !parameters.TryGetValue("realm", out var clientRealm) || !string.Equals(clientRealm, realm, StringComparison.Ordinal))
        {
            return CredentialCheck.Invalid;
        }

        if (parameters.TryGetValue("algorithm", out var algorithm) && !string.Equals(algorithm, "MD5", StringComparison.OrdinalIgnoreCase))
        {
            return CredentialCheck.Invalid;
        }

        parameters.TryGetValue("qop", out var qop);
        parameters.TryGetValue("nc", out var nc);
        parameters.TryGetValue("cnonce", out var cnonce);
        if (qop is not null && (!string.Equals(qop, "auth", StringComparison.OrdinalIgnoreCase) || string.IsNullOrEmpty(nc) || string.IsNullOrEmpty(cnonce)))
        {
            return CredentialCheck.Invalid;
        }

        if (!requestUriMatches(uri))
        {
            return CredentialCheck.Invalid;
        }

        var nonceState = CheckNonce(nonce, nonceKey, now, nonceLifetime);
        if (nonceState == CredentialCheck.Invalid)
        {
            return CredentialCheck.Invalid;
        }

        var ha1 = ha1Of(user);
        if (ha1 is null)
        {
            // Same work as a known user, so timing does not tell which names exist.
            ha1 = new string('0', 32);
            _ = ExpectedResponse(ha1, method, uri, nonce, qop, nc, cnonce);
            return CredentialCheck.Invalid;
        }

        var expected = ExpectedResponse(ha1, method, uri, nonce, qop, nc, cnonce);
        if (!FixedTimeEqualsAscii(expected, response.ToLowerInvariant()))
        {
            return CredentialCheck.Invalid;
        }

        username = user;
        return nonceState;
    }

    /// <summary>
    /// Checks Basic credentials (the token68 of <c>Authorization: Basic ...</c>) against the stored HA1:
    /// the password is hashed with the realm and compared, so plain passwords are never stored.
    /// </summary>
    public static CredentialCheck VerifyBasic(string token68, string realm, Func<string, string?> ha1Of, out string? username)
    {
        ArgumentNullException.ThrowIfNull(token68);
        ArgumentNullException.ThrowIfNull(ha1Of);
        username = null;
        Span<byte> decoded = stackalloc byte[512];
        if (token68.Length > 680 || !Convert.TryFromBase64String(token68, decoded, out var length))
        {
            return CredentialCheck.Invalid;
        }

        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(decoded[..length]);
        }
        catch (DecoderFallbackException)
        {
            return CredentialCheck.Invalid;
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon is <= 0 or > MaxUserNameLength)
        {
            return CredentialCheck.Invalid;
        }

        var user = text[..colon];
        var ha1 = ha1Of(user);
        var actual = ComputeHa1(user, realm, text[(colon + 1)..]);
        if (ha1 is null || !FixedTimeEqualsAscii(ha1, actual))
        {
            return CredentialCheck.Invalid;
        }

        username = user;
        return CredentialCheck.Valid;
    }

    /// <summary>The response a client holding <paramref name="ha1"/> must send (lower-case hex).</summary>
    public static string ExpectedResponse(string ha1, string method, string uri, string nonce, string? qop, string? nc, string? cnonce)
    {
        var ha2 = Md5Hex($"{method}:{uri}");
        return qop is null
            ? Md5Hex($"{ha1}:{nonce}:{ha2}")
            : Md5Hex($"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}");
    }

    /// <summary>True for 32 lower- or upper-case hex digits (an MD5 HA1).</summary>
    public static bool IsHa1(string? value) => value is { Length: 32 } && value.All(Uri.IsHexDigit);

    private static bool FixedTimeEqualsAscii(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(a), Encoding.ASCII.GetBytes(b));

    private static string Md5Hex(string text) => Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(text)));
}
