using StreamGateway.Protocols.Auth;
using StreamGateway.Protocols.Tests.Support;

namespace StreamGateway.Protocols.Tests.Auth;

public sealed class AuthChallengeTests
{
    private const string ValuesFile = "misc-www-authenticate-values.txt";

    public sealed record Expected(string Scheme, string? Realm, string? Nonce, bool Stale, string? Algorithm = null, string? Opaque = null);

    /// <summary>Every WWW-Authenticate value in the camera file and what it must parse to.</summary>
    private static readonly Dictionary<string, Expected> CameraValues = new(StringComparer.Ordinal)
    {
        ["Digest realm=\"4419b63f5e51\", nonce=\"8b84a3b789283a8bea8da7fa7d41f08b\", stale=\"FALSE\""] =
            new("Digest", "4419b63f5e51", "8b84a3b789283a8bea8da7fa7d41f08b", false),
        ["Digest realm=\"4419b63f5e51\", nonce=\"8b84a3b789283a8bea8da7fa7d41f08b\", stale=FALSE"] =
            new("Digest", "4419b63f5e51", "8b84a3b789283a8bea8da7fa7d41f08b", false),
        ["Digest realm=\"4419b63f5e51\",nonce=\"133767111917411116111311118211673010032\",  stale=\"FALSE\""] =
            new("Digest", "4419b63f5e51", "133767111917411116111311118211673010032", false),
        ["Basic realm=\"4419b63f5e51\""] = new("Basic", "4419b63f5e51", null, false),
        ["Digest realm=\"Please log in with a valid username\",nonce=\"752a62306daf32b401a41004555c7663\",opaque=\"\",stale=FALSE"] =
            new("Digest", "Please log in with a valid username", "752a62306daf32b401a41004555c7663", false, Opaque: ""),
        ["Digest realm=\"IP Camera(AB705)\", nonce=\"fcc86deace979a488b2bfb89f4d0812c\", algorithm=\"SHA-256\", stale=\"FALSE\""] =
            new("Digest", "IP Camera(AB705)", "fcc86deace979a488b2bfb89f4d0812c", false, Algorithm: "SHA-256"),
        ["Digest realm=\"54c41545bbe6\", nonce=\"13991620f27aff5cc046228b7d4434b7\", stale=\"FALSE\""] =
            new("Digest", "54c41545bbe6", "13991620f27aff5cc046228b7d4434b7", false),
        ["Basic realm=\"54c41545bbe6\""] = new("Basic", "54c41545bbe6", null, false),
    };

    public static TheoryData<string> CameraValueLines => new(CameraTestData.ReadValueLines(ValuesFile));

    [Fact]
    public void Every_value_in_the_camera_file_has_an_expectation()
    {
        Assert.Equal(CameraTestData.ReadValueLines(ValuesFile).Order(StringComparer.Ordinal), CameraValues.Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(CameraValueLines))]
    public void Parses_camera_www_authenticate_value(string line)
    {
        var challenge = Assert.Single(AuthChallenge.Parse(line));

        Assert.Equal(CameraValues[line], new Expected(challenge.Scheme, challenge.Realm, challenge.Nonce, challenge.Stale, challenge.Algorithm, challenge.Opaque));
    }

    [Fact]
    public void Parses_several_challenges_in_one_value_with_commas_inside_quotes()
    {
        var challenges = AuthChallenge.Parse("Digest realm=\"a, b\", qop=\"auth,auth-int\", nonce=\"n\", algorithm=SHA-256, Basic realm=\"c\"");

        Assert.Equal(2, challenges.Count);
        Assert.Equal("a, b", challenges[0].Realm);
        Assert.Equal("auth,auth-int", challenges[0].Qop);
        Assert.Equal("SHA-256", challenges[0].Algorithm);
        Assert.Equal("Basic", challenges[1].Scheme);
        Assert.Equal("c", challenges[1].Realm);
    }

    [Theory]
    [InlineData("Digest realm=\"r\", nonce=\"n\", stale=true", true)]
    [InlineData("Digest realm=\"r\", nonce=\"n\", stale=\"TRUE\"", true)]
    [InlineData("Digest realm=\"r\", nonce=\"n\", stale=no", false)]
    [InlineData("Digest realm=\"r\", nonce=\"n\"", false)]
    public void Reads_stale_in_any_case_quoted_or_not(string value, bool stale)
    {
        Assert.Equal(stale, Assert.Single(AuthChallenge.Parse(value)).Stale);
    }

    [Fact]
    public void Unescapes_quoted_pairs_and_compares_parameter_names_case_insensitively()
    {
        var challenge = Assert.Single(AuthChallenge.Parse("digest REALM=\"say \\\"hi\\\"\", Nonce=abc"));

        Assert.Equal("say \"hi\"", challenge.Realm);
        Assert.Equal("abc", challenge.Nonce);
        Assert.True(challenge.IsScheme("Digest"));
    }

    [Fact]
    public void Keeps_a_token68_challenge_and_moves_on()
    {
        var challenges = AuthChallenge.Parse("Negotiate YIIBhw==, Basic realm=\"x\"");

        Assert.Equal(["Negotiate", "Basic"], challenges.Select(c => c.Scheme));
        Assert.Equal("YIIBhw==", challenges[0].Parameters[AuthorizationHeader.Token68Key]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(", ,")]
    public void Returns_no_challenge_for_an_empty_value(string value)
    {
        Assert.Empty(AuthChallenge.Parse(value));
    }

    [Theory]
    [InlineData("Digest realm=\"unterminated")]
    [InlineData("=\"x\", Basic realm=\"r\"")]
    [InlineData("Digest ==,,==")]
    [InlineData("Digest realm")]
    public void Never_throws_on_garbage(string value)
    {
        _ = AuthChallenge.Parse(value);
    }

    [Fact]
    public void Parses_an_authorization_header_for_the_server()
    {
        Assert.True(AuthorizationHeader.TryParse(
            "Digest username=\"admin\", realm=\"IP Camera(C2875)\", nonce=\"938032d91ffc30ca80b5da94c18887ac\", uri=\"rtsp://192.168.10.147:554\", response=\"271d713c3058c90bc2414ed4ac9e0faa\"",
            out var scheme, out var parameters));
        Assert.Equal("Digest", scheme);
        Assert.Equal("271d713c3058c90bc2414ed4ac9e0faa", parameters["RESPONSE"]);

        Assert.True(AuthorizationHeader.TryParse("Basic YWRtaW46YWRtaW4=", out scheme, out parameters));
        Assert.Equal("Basic", scheme);
        Assert.Equal("YWRtaW46YWRtaW4=", parameters[AuthorizationHeader.Token68Key]);

        Assert.False(AuthorizationHeader.TryParse("", out _, out _));
        Assert.False(AuthorizationHeader.TryParse("=abc", out _, out _));
    }
}
