using System.Collections.Frozen;
using System.Net;
using System.Security.Cryptography;
using StreamGateway.Protocols.Auth;

namespace StreamGateway.Publish.Access;

/// <summary>A viewer account: its destination, stored Digest HA1 and the schools routed to its destination.</summary>
/// <param name="Ha1">MD5("name:<see cref="PullAccessPolicy.Realm"/>:password"), lower-case hex. Never logged.</param>
internal sealed record PullUser(string Name, string Destination, string Ha1, bool AllowBasic, IReadOnlySet<string> Schools)
{
    // The HA1 is password-equivalent for Digest: keep it out of ToString.
    public override string ToString() => $"PullUser {{ Name = {Name}, Destination = {Destination}, AllowBasic = {AllowBasic}, Schools = {Schools.Count} }}";
}

/// <summary>An immutable set of viewer accounts, swapped as a whole on reload.</summary>
internal sealed class PullAccessRules
{
    public PullAccessRules(IEnumerable<PullUser> users)
    {
        Users = users.ToFrozenDictionary(u => u.Name, StringComparer.Ordinal);
        OffersBasic = Users.Values.Any(u => u.AllowBasic);
    }

    /// <summary>No accounts: anonymous viewers from loopback only.</summary>
    public static PullAccessRules Open { get; } = new([]);

    public FrozenDictionary<string, PullUser> Users { get; }

    /// <summary>True when some destination allows Basic, so 401 answers offer it next to Digest.</summary>
    public bool OffersBasic { get; }

    public bool RequiresAuthentication => Users.Count > 0;
}

/// <summary>
/// The gateway's pull access policy. With no accounts, anonymous viewers are served from loopback
/// addresses only and others are refused (403). With accounts, every request that names a path must
/// authenticate (Digest MD5 qop=auth, Basic only for users whose destination allows it), and a user sees
/// only paths of schools routed to its destination: anything else answers 404 like a missing path.
/// Rules swap atomically (<see cref="Update"/>); the nonce key lives as long as the policy, so clients keep
/// their nonces across reloads.
/// </summary>
internal sealed class PullAccessPolicy : IViewerAccessPolicy
{
    /// <summary>The Digest realm; part of every stored HA1, so it never changes.</summary>
    public const string Realm = "StreamGateway";

    private readonly byte[] _nonceKey = RandomNumberGenerator.GetBytes(32);
    private readonly TimeProvider _time;
    private volatile PullAccessRules _rules;

    public PullAccessPolicy(PullAccessRules rules, TimeProvider? time = null, TimeSpan? nonceLifetime = null)
    {
        ArgumentNullException.ThrowIfNull(rules);
        _rules = rules;
        _time = time ?? TimeProvider.System;
        NonceLifetime = nonceLifetime ?? TimeSpan.FromMinutes(10);
    }

    /// <summary>How long a nonce is accepted before the client is told <c>stale=true</c>. Default 10 minutes.</summary>
    public TimeSpan NonceLifetime { get; }

    public PullAccessRules Rules => _rules;

    /// <summary>Replaces the rules; requests after this call see the new ones.</summary>
    public void Update(PullAccessRules rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        _rules = rules;
    }

    public ViewerAccessDecision Check(in ViewerAccessRequest request)
    {
        var rules = _rules;
        if (!rules.RequiresAuthentication)
        {
            return IsLoopback(request.Client)
                ? ViewerAccessDecision.Allow(ViewerIdentity.Anonymous)
                : ViewerAccessDecision.Forbidden("no Pull users are configured: only loopback viewers are served");
        }

        if (request.Authorization is null || !AuthorizationHeader.TryParse(request.Authorization, out var scheme, out var parameters))
        {
            return Challenge(rules, stale: false, request.Authorization is null ? "no credentials" : "malformed credentials");
        }

        var now = _time.GetUtcNow();
        string? user;
        CredentialCheck check;
        Func<string, string?> ha1Of = name => rules.Users.TryGetValue(name, out var u) ? u.Ha1 : null;
        if (string.Equals(scheme, "Digest", StringComparison.OrdinalIgnoreCase))
        {
            var path = request.Path;
            var uri = request.Uri;
            check = DigestServer.VerifyDigest(
                parameters, request.Method, Realm, ha1Of,
                given => string.Equals(given, uri, StringComparison.Ordinal) || string.Equals(RtspUrl.GetPath(given), path, StringComparison.Ordinal),
                _nonceKey, now, NonceLifetime, out user);
        }
        else if (string.Equals(scheme, "Basic", StringComparison.OrdinalIgnoreCase) && parameters.TryGetValue(AuthorizationHeader.Token68Key, out var token))
        {
            check = DigestServer.VerifyBasic(token, Realm, ha1Of, out user);
            if (check == CredentialCheck.Valid && !rules.Users[user!].AllowBasic)
            {
                return Challenge(rules, stale: false, "Basic is not allowed for this user's destination");
            }
        }
        else
        {
            return Challenge(rules, stale: false, "unsupported scheme");
        }

        switch (check)
        {
            case CredentialCheck.Valid:
                var account = rules.Users[user!];
                var viewer = new ViewerIdentity(account.Name, account.Destination);
                return Sees(account, request.Path) ? ViewerAccessDecision.Allow(viewer) : ViewerAccessDecision.NotFound(viewer);
            case CredentialCheck.Stale:
                return Challenge(rules, stale: true, "nonce expired");
            default:
                return Challenge(rules, stale: false, "wrong credentials");
        }
    }

    public bool StillAllows(ViewerIdentity viewer, string path)
    {
        var rules = _rules;
        if (!rules.RequiresAuthentication)
        {
            // Going open keeps anonymous (loopback) viewers; authenticated ones lose their accounts.
            return viewer.User is null;
        }

        return viewer.User is not null
            && rules.Users.TryGetValue(viewer.User, out var account)
            && string.Equals(account.Destination, viewer.Destination, StringComparison.Ordinal)
            && Sees(account, path);
    }

    /// <summary>127.0.0.0/8 and ::1, also as IPv4-mapped IPv6.</summary>
    public static bool IsLoopback(IPAddress address) =>
        IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);

    private static bool Sees(PullUser account, string path)
    {
        if (path.Length == 0)
        {
            return true;
        }

        var slash = path.IndexOf('/', StringComparison.Ordinal);
        var school = slash < 0 ? path : path[..slash];
        return account.Schools.Contains(school);
    }

    private ViewerAccessDecision Challenge(PullAccessRules rules, bool stale, string reason)
    {
        var digest = DigestServer.DigestChallenge(Realm, DigestServer.CreateNonce(_nonceKey, _time.GetUtcNow()), stale);
        return ViewerAccessDecision.Challenge(rules.OffersBasic ? [digest, DigestServer.BasicChallenge(Realm)] : [digest], reason);
    }
}
