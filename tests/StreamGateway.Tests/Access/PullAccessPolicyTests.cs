using System.Net;
using System.Text;
using StreamGateway.Hosting;
using StreamGateway.Protocols.Auth;
using StreamGateway.Publish.Access;
using StreamGateway.Tests.Configuration;

namespace StreamGateway.Tests.Access;

public sealed class PullAccessPolicyTests
{
    private const string Base = "rtsp://127.0.0.1:8554/";

    private static PullAccessPolicy PolicyFor(string json)
    {
        using var file = new TempConfigFile(json);
        var loaded = file.Load(new Dictionary<string, string?>
        {
            ["Gateway__Destinations__lisakovsk-rop__Pull__Users__rop-dispatcher__Password"] = "rop-pw",
        });
        Assert.True(loaded.Success, string.Join("; ", loaded.Errors));
        return new PullAccessPolicy(GatewayHost.BuildAccessRules(loaded.Config!));
    }

    private static string Digest(PullAccessPolicy policy, string user, string password, string method, string uri)
    {
        var challenge = policy.Check(new ViewerAccessRequest(method, uri, "", null, IPAddress.Loopback));
        var nonce = AuthChallenge.Parse(challenge.Challenges[0]).Single().Nonce!;
        var response = DigestAuthentication.ComputeResponse("MD5", user, PullAccessPolicy.Realm, password, method, uri, nonce, "auth", "00000001", "c0ffee");
        return $"Digest username=\"{user}\", realm=\"{PullAccessPolicy.Realm}\", nonce=\"{nonce}\", uri=\"{uri}\", response=\"{response}\", qop=auth, nc=00000001, cnonce=\"c0ffee\"";
    }

    private static ViewerAccessDecision Check(PullAccessPolicy policy, string path, string? authorization, string method = "DESCRIBE", IPAddress? client = null) =>
        policy.Check(new ViewerAccessRequest(method, Base + path, path, authorization, client ?? IPAddress.Parse("10.9.8.7")));

    public static TheoryData<string, string, string, string, string> Requests => new()
    {
        { "own school through a district route", "rop-dispatcher", "rop-pw", "school-3/gate", nameof(ViewerAccessResult.Allow) },
        { "own school, a track URL", "rop-dispatcher", "rop-pw", "school-3/gate/trackID=0", nameof(ViewerAccessResult.Allow) },
        { "another center's school: 404 like a missing path", "rop-dispatcher", "rop-pw", "school-12/entrance", nameof(ViewerAccessResult.NotFound) },
        { "a school that does not exist", "rop-dispatcher", "rop-pw", "school-99/x", nameof(ViewerAccessResult.NotFound) },
        { "wrong password", "rop-dispatcher", "nope", "school-3/gate", nameof(ViewerAccessResult.Challenge) },
        { "unknown user", "nobody", "rop-pw", "school-3/gate", nameof(ViewerAccessResult.Challenge) },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public void A_user_reads_only_the_schools_routed_to_its_destination(string name, string user, string password, string path, string expected)
    {
        var policy = PolicyFor(DestinationConfigTests.IssueSample);

        var decision = Check(policy, path, Digest(policy, user, password, "DESCRIBE", Base + path));

        Assert.True(expected == decision.Result.ToString(), $"{name}: {decision.Result} ({decision.Reason})");
        if (expected == nameof(ViewerAccessResult.Allow))
        {
            Assert.Equal(new ViewerIdentity("rop-dispatcher", "lisakovsk-rop"), decision.Viewer);
        }
    }

    [Fact]
    public void Without_credentials_any_path_gets_the_same_Digest_challenge()
    {
        var policy = PolicyFor(DestinationConfigTests.IssueSample);

        var routed = Check(policy, "school-3/gate", null);
        var missing = Check(policy, "no-such/school", null);

        Assert.Equal((ViewerAccessResult.Challenge, ViewerAccessResult.Challenge), (routed.Result, missing.Result));
        var challenge = AuthChallenge.Parse(Assert.Single(routed.Challenges)).Single();
        Assert.Equal(("Digest", "auth", false), (challenge.Scheme, challenge.Qop, challenge.Stale));
    }

    [Fact]
    public void Basic_is_offered_and_accepted_only_when_the_destination_allows_it()
    {
        var basic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("rop-dispatcher:rop-pw"));
        var strict = PolicyFor(DestinationConfigTests.IssueSample);
        var lenient = PolicyFor(DestinationConfigTests.IssueSample.Replace(
            "\"Pull\": { \"Users\"", "\"Pull\": { \"AllowBasic\": true, \"Users\"", StringComparison.Ordinal));

        Assert.Equal(ViewerAccessResult.Challenge, Check(strict, "school-3/gate", basic).Result);
        Assert.Single(Check(strict, "school-3/gate", null).Challenges);
        Assert.Equal(ViewerAccessResult.Allow, Check(lenient, "school-3/gate", basic).Result);
        Assert.Contains(Check(lenient, "school-3/gate", null).Challenges, c => c.StartsWith("Basic ", StringComparison.Ordinal));
    }

    [Fact]
    public void An_expired_nonce_gets_a_stale_challenge()
    {
        var time = new ManualTimeProvider();
        using var file = new TempConfigFile(DestinationConfigTests.IssueSample);
        var policy = new PullAccessPolicy(GatewayHost.BuildAccessRules(file.Load().Config!), time, TimeSpan.FromMinutes(10));
        var header = Digest(policy, "rop-dispatcher", "from-env", "PLAY", Base + "school-3/gate");

        Assert.Equal(ViewerAccessResult.Allow, Check(policy, "school-3/gate", header, "PLAY").Result);
        time.Advance(TimeSpan.FromMinutes(11));
        var stale = Check(policy, "school-3/gate", header, "PLAY");

        Assert.Equal(ViewerAccessResult.Challenge, stale.Result);
        Assert.True(AuthChallenge.Parse(stale.Challenges[0]).Single().Stale);
    }

    public static TheoryData<string, string> OpenModeClients => new()
    {
        { "127.0.0.1", nameof(ViewerAccessResult.Allow) },
        { "127.10.20.30", nameof(ViewerAccessResult.Allow) },
        { "::1", nameof(ViewerAccessResult.Allow) },
        { "::ffff:127.0.0.1", nameof(ViewerAccessResult.Allow) },
        { "10.0.0.5", nameof(ViewerAccessResult.Forbidden) },
        { "192.168.1.10", nameof(ViewerAccessResult.Forbidden) },
        { "::ffff:10.0.0.5", nameof(ViewerAccessResult.Forbidden) },
        { "fe80::1", nameof(ViewerAccessResult.Forbidden) },
    };

    [Theory]
    [MemberData(nameof(OpenModeClients))]
    public void Without_Pull_users_only_loopback_viewers_are_served(string address, string expected)
    {
        var policy = new PullAccessPolicy(PullAccessRules.Open);

        var decision = Check(policy, "school-3/gate", null, client: IPAddress.Parse(address));

        Assert.Equal(expected, decision.Result.ToString());
    }

    [Fact]
    public void After_a_reload_only_sessions_that_lost_their_route_or_user_are_disallowed()
    {
        var policy = PolicyFor(DestinationConfigTests.IssueSample);
        var rop = new ViewerIdentity("rop-dispatcher", "lisakovsk-rop");
        Assert.True(policy.StillAllows(rop, "school-3/gate"));

        policy.Update(PolicyFor(DestinationConfigTests.IssueSample.Replace(
            "\"Districts\": { \"lisakovsk\": { \"Destinations\": [ \"lisakovsk-rop\" ] } },",
            "\"Districts\": { \"lisakovsk\": { \"Destinations\": [ ] } },",
            StringComparison.Ordinal)).Rules);

        Assert.False(policy.StillAllows(rop, "school-3/gate"));
        Assert.False(policy.StillAllows(ViewerIdentity.Anonymous, "school-3/gate"));
    }
}
