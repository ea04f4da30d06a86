using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace StreamGateway.Protocols.Auth;

/// <summary>
/// Answers a camera's WWW-Authenticate challenges for one RTSP session. Holds the password, so
/// <see cref="ToString"/> shows only the user name and scheme. Not thread-safe beyond the nonce counter;
/// a session sends its requests one at a time.
/// </summary>
public sealed class ClientAuthenticator
{
    private readonly string _username;
    private readonly string _password;
    private AuthChallenge? _challenge;
    private string _cnonce = string.Empty;
    private bool _useQop;
    private int _nonceCount;

    public ClientAuthenticator(string username, string password)
    {
        ArgumentNullException.ThrowIfNull(username);
        ArgumentNullException.ThrowIfNull(password);
        _username = username;
        _password = password;
    }

    /// <summary>"Digest" or "Basic" once a challenge was accepted, else null.</summary>
    public string? Scheme { get; private set; }

    /// <summary>
    /// Picks the strongest usable challenge among all values: Digest SHA-256 &gt; Digest MD5 &gt; Basic.
    /// A Digest challenge is usable when it has a nonce, a known algorithm and either no qop or one offering "auth".
    /// Returns false (keeping any earlier choice) when none is usable.
    /// </summary>
    public bool TryAccept(IEnumerable<string> wwwAuthenticateValues)
    {
        ArgumentNullException.ThrowIfNull(wwwAuthenticateValues);
        AuthChallenge? best = null;
        var bestRank = 0;
        foreach (var value in wwwAuthenticateValues)
        {
            foreach (var challenge in AuthChallenge.Parse(value))
            {
                var rank = Rank(challenge);
                if (rank > bestRank)
                {
                    best = challenge;
                    bestRank = rank;
                }
            }
        }

        if (best is null)
        {
            return false;
        }

        _challenge = best;
        Scheme = best.IsScheme("Digest") ? "Digest" : "Basic";
        _useQop = OffersAuthQop(best.Qop);
        _cnonce = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        _nonceCount = 0;
        return true;
    }

    /// <summary>The Authorization header value for one request, or null until a challenge was accepted.</summary>
    public string? CreateAuthorization(string method, string uri)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(uri);
        var challenge = _challenge;
        if (challenge is null)
        {
            return null;
        }

        if (Scheme == "Basic")
        {
            return "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{_username}:{_password}"));
        }

        var realm = challenge.Realm ?? string.Empty;
        var nonce = challenge.Nonce!;
        var algorithm = challenge.Algorithm;
        string? qop = null, nc = null, cnonce = null;
        if (_useQop)
        {
            qop = "auth";
            nc = Interlocked.Increment(ref _nonceCount).ToString("x8", CultureInfo.InvariantCulture);
            cnonce = _cnonce;
        }

        var response = DigestAuthentication.ComputeResponse(algorithm ?? "MD5", _username, realm, _password, method, uri,
            nonce, qop, nc, cnonce);

        var text = new StringBuilder(256);
        text.Append("Digest username=\"").Append(Escape(_username))
            .Append("\", realm=\"").Append(Escape(realm))
            .Append("\", nonce=\"").Append(Escape(nonce))
            .Append("\", uri=\"").Append(Escape(uri))
            .Append("\", response=\"").Append(response).Append('"');
        if (!string.IsNullOrEmpty(algorithm))
        {
            text.Append(", algorithm=").Append(algorithm.Trim());
        }

        if (challenge.Opaque is not null)
        {
            text.Append(", opaque=\"").Append(Escape(challenge.Opaque)).Append('"');
        }

        if (_useQop)
        {
            text.Append(", qop=auth, nc=").Append(nc).Append(", cnonce=\"").Append(cnonce).Append('"');
        }

        return text.ToString();
    }

    public override string ToString() => $"ClientAuthenticator(user={_username}, scheme={Scheme ?? "none"})";

    private static int Rank(AuthChallenge challenge)
    {
        if (challenge.IsScheme("Basic"))
        {
            return 1;
        }

        if (!challenge.IsScheme("Digest") || string.IsNullOrEmpty(challenge.Nonce))
        {
            return 0;
        }

        if (DigestAuthentication.ParseAlgorithm(challenge.Algorithm) is not { } algorithm)
        {
            return 0;
        }

        if (!string.IsNullOrWhiteSpace(challenge.Qop) && !OffersAuthQop(challenge.Qop))
        {
            return 0; // only auth-int (or garbage): we cannot hash the body
        }

        return algorithm.Sha256 ? 3 : 2;
    }

    private static bool OffersAuthQop(string? qop)
    {
        if (string.IsNullOrWhiteSpace(qop))
        {
            return false;
        }

        foreach (var option in qop.Split(','))
        {
            if (option.Trim().Equals("auth", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static string Escape(string value) => value.Replace("\\", "\\\\").Replace("\"", "\\\"");
}
