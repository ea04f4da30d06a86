using System.Text;
using StreamGateway.Protocols.Auth;

namespace StreamGateway.Protocols.Tests.Auth;

public sealed class DigestServerTests
{
    private const string Realm = "StreamGateway";
    private const string Uri = "rtsp://127.0.0.1:8554/school-12/entrance";
    private static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);

    [Fact]
    public void Computes_the_RFC_2617_section_3_5_HA1_and_response()
    {
        var ha1 = DigestServer.ComputeHa1("Mufasa", "testrealm@host.com", "Circle Of Life");

        Assert.Equal("939e7578ed9e3c518a452acee763bce9", ha1);
        Assert.Equal(
            "6629fae49393a05397450978507c4ef1",
            DigestServer.ExpectedResponse(ha1, "GET", "/dir/index.html", "dcd98b7102dd2f0e8b11d0f600bfb0c093", "auth", "00000001", "0a4f113b"));
    }

    [Fact]
    public void Agrees_with_the_client_side_computation_with_and_without_qop()
    {
        var ha1 = DigestServer.ComputeHa1("u", Realm, "p");
        foreach (var (qop, nc, cnonce) in new (string?, string?, string?)[] { ("auth", "00000001", "abc"), (null, null, null) })
        {
            Assert.Equal(
                DigestAuthentication.ComputeResponse("MD5", "u", Realm, "p", "DESCRIBE", Uri, "n", qop, nc, cnonce),
                DigestServer.ExpectedResponse(ha1, "DESCRIBE", Uri, "n", qop, nc, cnonce));
        }
    }

    public static TheoryData<string, TimeSpan, CredentialCheck> NonceAges => new()
    {
        { "fresh", TimeSpan.Zero, CredentialCheck.Valid },
        { "just inside the lifetime", TimeSpan.FromMinutes(10), CredentialCheck.Valid },
        { "just past the lifetime", TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1), CredentialCheck.Stale },
        { "a day old", TimeSpan.FromDays(1), CredentialCheck.Stale },
        { "from the future", TimeSpan.FromMinutes(-5), CredentialCheck.Invalid },
    };

    [Theory]
    [MemberData(nameof(NonceAges))]
    public void A_nonce_is_valid_within_its_lifetime_and_stale_after(string name, TimeSpan age, CredentialCheck expected)
    {
        var nonce = DigestServer.CreateNonce(Key, Now);

        Assert.True(expected == DigestServer.CheckNonce(nonce, Key, Now + age, Lifetime), name);
    }

    [Theory]
    [InlineData("another key")]
    [InlineData("edited time")]
    [InlineData("truncated")]
    [InlineData("not hex")]
    [InlineData("empty")]
    public void A_nonce_this_server_did_not_issue_is_invalid(string how)
    {
        var nonce = DigestServer.CreateNonce(Key, Now);
        var other = how switch
        {
            "another key" => DigestServer.CreateNonce(new byte[32], Now),
            "edited time" => (nonce[0] == '0' ? "1" : "0") + nonce[1..],
            "truncated" => nonce[..^2],
            "not hex" => new string('z', nonce.Length),
            _ => "",
        };

        Assert.Equal(CredentialCheck.Invalid, DigestServer.CheckNonce(other, Key, Now, Lifetime));
    }

    public sealed record DigestAttempt(string Name, string User, string Password, string Method, string Uri, string? Qop, TimeSpan NonceAge, CredentialCheck Expected, string? Algorithm = null)
    {
        public override string ToString() => Name;
    }

    public static TheoryData<DigestAttempt> Attempts => new()
    {
        new("right password, qop=auth (ffmpeg)", "rop", "s3cret", "DESCRIBE", Uri, "auth", TimeSpan.Zero, CredentialCheck.Valid),
        new("right password, no qop (GStreamer rtspsrc, RFC 2069)", "rop", "s3cret", "DESCRIBE", Uri, null, TimeSpan.Zero, CredentialCheck.Valid),
        new("right password, SETUP of a track URL", "rop", "s3cret", "SETUP", Uri + "/trackID=0", "auth", TimeSpan.Zero, CredentialCheck.Valid),
        new("wrong password", "rop", "guess", "DESCRIBE", Uri, "auth", TimeSpan.Zero, CredentialCheck.Invalid),
        new("unknown user", "mallory", "s3cret", "DESCRIBE", Uri, "auth", TimeSpan.Zero, CredentialCheck.Invalid),
        new("response for another URL", "rop", "s3cret", "DESCRIBE", "rtsp://127.0.0.1:8554/school-7/gate", "auth", TimeSpan.Zero, CredentialCheck.Invalid),
        new("expired nonce, right password", "rop", "s3cret", "DESCRIBE", Uri, "auth", TimeSpan.FromHours(1), CredentialCheck.Stale),
        new("expired nonce, wrong password", "rop", "guess", "DESCRIBE", Uri, "auth", TimeSpan.FromHours(1), CredentialCheck.Invalid),
        new("SHA-256 is not offered", "rop", "s3cret", "DESCRIBE", Uri, "auth", TimeSpan.Zero, CredentialCheck.Invalid, "SHA-256"),
    };

    [Theory]
    [MemberData(nameof(Attempts))]
    public void Verifies_a_Digest_response(DigestAttempt attempt)
    {
        var issued = Now - attempt.NonceAge;
        var nonce = DigestServer.CreateNonce(Key, issued);
        var response = DigestAuthentication.ComputeResponse("MD5", attempt.User, Realm, attempt.Password, attempt.Method, attempt.Uri, nonce, attempt.Qop, attempt.Qop is null ? null : "00000001", attempt.Qop is null ? null : "0a4f113b");
        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["username"] = attempt.User, ["realm"] = Realm, ["nonce"] = nonce, ["uri"] = attempt.Uri, ["response"] = response,
        };
        if (attempt.Qop is not null)
        {
            parameters["qop"] = attempt.Qop;
            parameters["nc"] = "00000001";
            parameters["cnonce"] = "0a4f113b";
        }

        if (attempt.Algorithm is not null)
        {
            parameters["algorithm"] = attempt.Algorithm;
        }

        var stored = new Dictionary<string, string> { ["rop"] = DigestServer.ComputeHa1("rop", Realm, "s3cret") };
        var check = DigestServer.VerifyDigest(
            parameters, attempt.Method, Realm, u => stored.GetValueOrDefault(u),
            given => given.StartsWith(Uri, StringComparison.Ordinal), Key, Now, Lifetime, out var user);

        Assert.Equal(attempt.Expected, check);
        Assert.Equal(check is CredentialCheck.Valid or CredentialCheck.Stale ? attempt.User : null, user);
    }

    [Theory]
    [InlineData("username")]
    [InlineData("realm")]
    [InlineData("nonce")]
    [InlineData("uri")]
    [InlineData("response")]
    public void Digest_credentials_missing_a_parameter_are_invalid(string missing)
    {
        var nonce = DigestServer.CreateNonce(Key, Now);
        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["username"] = "rop", ["realm"] = Realm, ["nonce"] = nonce, ["uri"] = Uri,
            ["response"] = DigestAuthentication.ComputeResponse("MD5", "rop", Realm, "s3cret", "DESCRIBE", Uri, nonce, null, null, null),
        };
        parameters.Remove(missing);

        var check = DigestServer.VerifyDigest(parameters, "DESCRIBE", Realm, _ => DigestServer.ComputeHa1("rop", Realm, "s3cret"), _ => true, Key, Now, Lifetime, out _);

        Assert.Equal(CredentialCheck.Invalid, check);
    }

    [Theory]
    [InlineData("rop:s3cret", CredentialCheck.Valid)]
    [InlineData("rop:guess", CredentialCheck.Invalid)]
    [InlineData("mallory:s3cret", CredentialCheck.Invalid)]
    [InlineData("rop", CredentialCheck.Invalid)]
    [InlineData(":s3cret", CredentialCheck.Invalid)]
    [InlineData("rop:s3cret:with:colons", CredentialCheck.Invalid)]
    public void Verifies_Basic_credentials_against_the_stored_HA1(string userColonPassword, CredentialCheck expected)
    {
        var token = Convert.ToBase64String(Encoding.UTF8.GetBytes(userColonPassword));

        var check = DigestServer.VerifyBasic(token, Realm, u => u == "rop" ? DigestServer.ComputeHa1("rop", Realm, "s3cret") : null, out var user);

        Assert.Equal(expected, check);
        Assert.Equal(expected == CredentialCheck.Valid ? "rop" : null, user);
    }

    [Fact]
    public void Basic_credentials_that_are_not_base64_are_invalid()
    {
        Assert.Equal(CredentialCheck.Invalid, DigestServer.VerifyBasic("***", Realm, _ => "x", out _));
        Assert.Equal(CredentialCheck.Invalid, DigestServer.VerifyBasic(new string('A', 4000), Realm, _ => "x", out _));
    }

    [Fact]
    public void The_challenge_offers_MD5_with_qop_auth_and_says_stale_only_when_asked()
    {
        var fresh = AuthChallenge.Parse(DigestServer.DigestChallenge(Realm, "abc", stale: false)).Single();
        var stale = AuthChallenge.Parse(DigestServer.DigestChallenge(Realm, "abc", stale: true)).Single();

        Assert.Equal(("Digest", Realm, "abc", "MD5", "auth", false), (fresh.Scheme, fresh.Realm, fresh.Nonce, fresh.Algorithm, fresh.Qop, fresh.Stale));
        Assert.True(stale.Stale);
    }
}
