using StreamGateway.Protocols.Auth;

namespace StreamGateway.Protocols.Tests.Auth;

public sealed class ClientAuthenticatorTests
{
    private const string DigestMd5 = "Digest realm=\"54c41545bbe6\", nonce=\"13991620f27aff5cc046228b7d4434b7\", stale=\"FALSE\"";
    private const string DigestSha256 = "Digest realm=\"IP Camera(AB705)\", nonce=\"fcc86deace979a488b2bfb89f4d0812c\", algorithm=\"SHA-256\", stale=\"FALSE\"";
    private const string Basic = "Basic realm=\"54c41545bbe6\"";

    public static TheoryData<string[], string, string?> Choices => new()
    {
        { [Basic], "Basic", null },
        { [Basic, DigestMd5], "Digest", null },
        { [DigestMd5, Basic], "Digest", null },
        { [DigestMd5, DigestSha256, Basic], "Digest", "SHA-256" },
        { [Basic + ", " + DigestSha256], "Digest", "SHA-256" },
        { ["Digest realm=\"r\", nonce=\"n\", algorithm=SHA-512-256", Basic], "Basic", null },
        { ["Digest realm=\"r\", nonce=\"n\", qop=\"auth-int\"", DigestMd5], "Digest", null },
    };

    [Theory]
    [MemberData(nameof(Choices))]
    public void Chooses_the_strongest_usable_challenge(string[] values, string scheme, string? algorithm)
    {
        var authenticator = new ClientAuthenticator("admin", "secret");

        Assert.True(authenticator.TryAccept(values));

        Assert.Equal(scheme, authenticator.Scheme);
        var header = authenticator.CreateAuthorization("DESCRIBE", "rtsp://cam/")!;
        Assert.StartsWith(scheme + " ", header, StringComparison.Ordinal);
        AuthorizationHeader.TryParse(header, out _, out var parameters);
        Assert.Equal(algorithm, parameters.TryGetValue("algorithm", out var a) ? a : null);
    }

    public static TheoryData<string[]> Unusable => new()
    {
        Array.Empty<string>(),
        new[] { "Negotiate abc==" },
        new[] { "Digest realm=\"r\"" }, // no nonce
        new[] { "Digest realm=\"r\", nonce=\"n\", qop=\"auth-int\"" },
        new[] { "Digest realm=\"r\", nonce=\"n\", algorithm=SHA-512-256" },
    };

    [Theory]
    [MemberData(nameof(Unusable))]
    public void Refuses_when_no_challenge_is_usable(string[] values)
    {
        var authenticator = new ClientAuthenticator("admin", "secret");

        Assert.False(authenticator.TryAccept(values));
        Assert.Null(authenticator.Scheme);
        Assert.Null(authenticator.CreateAuthorization("DESCRIBE", "rtsp://cam/"));
    }

    [Fact]
    public void Answers_rtsp_style_digest_without_qop_that_a_server_can_verify()
    {
        var authenticator = new ClientAuthenticator("admin", "secret");
        authenticator.TryAccept([DigestMd5]);

        var header = authenticator.CreateAuthorization("SETUP", "rtsp://cam/trackID=1")!;

        Assert.True(AuthorizationHeader.TryParse(header, out var scheme, out var p));
        Assert.Equal("Digest", scheme);
        Assert.Equal("admin", p["username"]);
        Assert.Equal("54c41545bbe6", p["realm"]);
        Assert.Equal("rtsp://cam/trackID=1", p["uri"]);
        Assert.False(p.ContainsKey("qop"));
        Assert.False(p.ContainsKey("nc"));
        var expected = DigestAuthentication.ComputeResponse("MD5", "admin", "54c41545bbe6", "secret", "SETUP", "rtsp://cam/trackID=1",
            "13991620f27aff5cc046228b7d4434b7", null, null, null);
        Assert.Equal(expected, p["response"]);
    }

    [Fact]
    public void Counts_nonce_uses_and_echoes_opaque_when_the_camera_asks_for_qop()
    {
        var authenticator = new ClientAuthenticator("admin", "secret");
        authenticator.TryAccept(["Digest realm=\"r\", nonce=\"n1\", qop=\"auth,auth-int\", opaque=\"o\", algorithm=MD5"]);

        AuthorizationHeader.TryParse(authenticator.CreateAuthorization("DESCRIBE", "rtsp://cam/")!, out _, out var first);
        AuthorizationHeader.TryParse(authenticator.CreateAuthorization("SETUP", "rtsp://cam/t1")!, out _, out var second);

        Assert.Equal("00000001", first["nc"]);
        Assert.Equal("00000002", second["nc"]);
        Assert.Equal("auth", first["qop"]);
        Assert.Equal("o", first["opaque"]);
        Assert.Equal("MD5", first["algorithm"]);
        Assert.Equal(first["cnonce"], second["cnonce"]);
        Assert.Equal(
            DigestAuthentication.ComputeResponse("MD5", "admin", "r", "secret", "SETUP", "rtsp://cam/t1", "n1", "auth", "00000002", second["cnonce"]),
            second["response"]);

        // A new challenge (e.g. stale nonce) restarts the count with a fresh cnonce.
        authenticator.TryAccept(["Digest realm=\"r\", nonce=\"n2\", qop=auth, stale=true"]);
        AuthorizationHeader.TryParse(authenticator.CreateAuthorization("PLAY", "rtsp://cam/")!, out _, out var third);
        Assert.Equal("00000001", third["nc"]);
        Assert.Equal("n2", third["nonce"]);
        Assert.NotEqual(first["cnonce"], third["cnonce"]);
    }

    [Fact]
    public void Never_shows_the_password()
    {
        var authenticator = new ClientAuthenticator("admin", "hunter2-secret");
        var before = authenticator.ToString();
        authenticator.TryAccept([DigestMd5]);

        Assert.DoesNotContain("hunter2", before, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", authenticator.ToString(), StringComparison.Ordinal);
        Assert.Contains("admin", authenticator.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", authenticator.CreateAuthorization("DESCRIBE", "rtsp://cam/"), StringComparison.Ordinal);
    }

    [Fact]
    public void Escapes_quotes_in_the_user_name()
    {
        var authenticator = new ClientAuthenticator("ad\"min", "p");
        authenticator.TryAccept([DigestMd5]);

        AuthorizationHeader.TryParse(authenticator.CreateAuthorization("DESCRIBE", "rtsp://cam/")!, out _, out var p);

        Assert.Equal("ad\"min", p["username"]);
    }
}
