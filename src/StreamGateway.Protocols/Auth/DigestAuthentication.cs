using System.Security.Cryptography;
using System.Text;

namespace StreamGateway.Protocols.Auth;

/// <summary>HTTP Digest response computation (RFC 2617, RFC 7616) as RTSP cameras use it.</summary>
public static class DigestAuthentication
{
    /// <summary>
    /// The lower-case hex <c>response</c> value.
    /// Without <paramref name="qop"/> (the common RTSP camera case): H(HA1:nonce:HA2).
    /// With qop "auth": H(HA1:nonce:nc:cnonce:qop:HA2). HA2 = H(method:uri); "auth-int" is not supported.
    /// </summary>
    /// <param name="algorithm">MD5 (also when null or empty), MD5-sess, SHA-256 or SHA-256-sess; any case.</param>
    public static string ComputeResponse(string algorithm, string username, string realm, string password, string method,
        string uri, string nonce, string? qop, string? nc, string? cnonce)
    {
        var (sha256, session) = ParseAlgorithm(algorithm)
            ?? throw new NotSupportedException("Unsupported digest algorithm.");

        var ha1 = Hash(sha256, $"{username}:{realm}:{password}");
        if (session)
        {
            ha1 = Hash(sha256, $"{ha1}:{nonce}:{cnonce}");
        }

        var ha2 = Hash(sha256, $"{method}:{uri}");
        if (string.IsNullOrEmpty(qop))
        {
            return Hash(sha256, $"{ha1}:{nonce}:{ha2}");
        }

        if (!string.Equals(qop, "auth", StringComparison.OrdinalIgnoreCase))
        {
            throw new NotSupportedException("Only qop=auth is supported.");
        }

        return Hash(sha256, $"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}");
    }

    /// <summary>Null when the algorithm is not one this class computes.</summary>
    internal static (bool Sha256, bool Session)? ParseAlgorithm(string? algorithm)
    {
        if (string.IsNullOrWhiteSpace(algorithm))
        {
            return (false, false);
        }

        return algorithm.Trim().ToUpperInvariant() switch
        {
            "MD5" => (false, false),
            "MD5-SESS" => (false, true),
            "SHA-256" => (true, false),
            "SHA-256-SESS" => (true, true),
            _ => null,
        };
    }

    private static string Hash(bool sha256, string text)
    {
        var input = Encoding.UTF8.GetBytes(text);
        Span<byte> digest = stackalloc byte[32];
        var length = sha256 ? SHA256.HashData(input, digest) : MD5.HashData(input, digest);
        return Convert.ToHexStringLower(digest[..length]);
    }
}
