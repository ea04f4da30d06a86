using Microsoft.Extensions.Configuration;
using StreamGateway.Configuration;
using StreamGateway.Protocols.Auth;

namespace StreamGateway.Tests.Configuration;

public class DestinationConfigTests
{
    /// <summary>The issue's sample, completed into a whole file.</summary>
    public const string IssueSample = """
        {
          "Gateway": {
            "Destinations": {
              "kostanay-cou":  { "Name": "Kostanay regional operations center",
                                 "Push": { "Url": "rtsp://media.cou.local:8554/{school}/{camera}", "Username": "gw", "Password": "from-env" } },
              "lisakovsk-rop": { "Name": "Lisakovsk district police department",
                                 "Pull": { "Users": { "rop-dispatcher": { "Password": "from-env" } } } }
            },
            "Districts": { "lisakovsk": { "Destinations": [ "lisakovsk-rop" ] } },
            "Schools": {
              "school-12": { "Name": "School 12", "District": "kostanay", "Destinations": [ "kostanay-cou" ],
                             "Cameras": { "entrance": { "Source": "rtsp://10.20.0.11/ch1" } } },
              "school-3":  { "Name": "School 3", "District": "lisakovsk", "Destinations": [ "kostanay-cou" ],
                             "Cameras": { "gate": { "Source": "rtsp://10.30.0.11/ch1" }, "yard": { "Source": "rtsp://10.30.0.12/ch1" } } }
            },
            "Audit": { "Path": "data/audit" }
          }
        }
        """;

    private static Dictionary<string, string?> ValidKeys() => new()
    {
        ["Gateway:Schools:school-12:Name"] = "School 12",
        ["Gateway:Schools:school-12:District"] = "kostanay",
        ["Gateway:Schools:school-12:Destinations:0"] = "kostanay-cou",
        ["Gateway:Schools:school-12:Cameras:entrance:Source"] = "rtsp://10.20.0.11/ch1",
        ["Gateway:Destinations:kostanay-cou:Name"] = "Kostanay COU",
        ["Gateway:Destinations:kostanay-cou:Push:Url"] = "rtsp://media.cou.local:8554/{school}/{camera}",
        ["Gateway:Destinations:kostanay-cou:Pull:Users:cou-vms:Password"] = "pw",
    };

    private static ConfigLoadResult LoadWith(params (string Key, string? Value)[] changes)
    {
        var values = ValidKeys();
        foreach (var (key, value) in changes)
        {
            if (value is null)
            {
                values.Remove(key);
            }
            else
            {
                values[key] = value;
            }
        }

        return GatewayConfigLoader.Load(new ConfigurationBuilder().AddInMemoryCollection(values).Build(), "test");
    }

    [Fact]
    public void Accepts_the_issue_sample_with_routes_from_schools_and_districts()
    {
        using var file = new TempConfigFile(IssueSample);

        var result = file.Load();

        Assert.True(result.Success, string.Join("; ", result.Errors));
        Assert.Empty(result.Warnings);
        var config = result.Config!;
        Assert.Equal(["kostanay-cou", "lisakovsk-rop"], config.Destinations.Select(d => d.Id));
        Assert.Equal(["kostanay-cou", "lisakovsk-rop"], config.RoutesOf(config.Schools.Single(s => s.Id == "school-3")));
        Assert.Equal(["school-3"], config.SchoolsOf("lisakovsk-rop"));
        Assert.True(config.HasPullUsers);
        Assert.True(config.Audit.Enabled);
        Assert.Equal("data/audit", config.Audit.Path);
        var user = config.FindDestination("lisakovsk-rop")!.Pull!.Users.Single();
        Assert.Equal(DigestServer.ComputeHa1("rop-dispatcher", "StreamGateway", "from-env"), user.Ha1);
        Assert.Equal(
            [
                ("school-12/entrance", "kostanay-cou", "rtsp://media.cou.local:8554/school-12/entrance"),
                ("school-3/gate", "kostanay-cou", "rtsp://media.cou.local:8554/school-3/gate"),
                ("school-3/yard", "kostanay-cou", "rtsp://media.cou.local:8554/school-3/yard"),
            ],
            config.PushRoutes().Select(r => (r.Camera.Path, r.Destination.Id, r.Url)));
    }

    [Fact]
    public void Passwords_come_from_the_environment_and_never_show_in_ToString()
    {
        using var file = new TempConfigFile(IssueSample);

        var result = file.Load(new Dictionary<string, string?>
        {
            ["Gateway__Destinations__lisakovsk-rop__Pull__Users__rop-dispatcher__Password"] = "env-pull-secret",
            ["Gateway__Destinations__kostanay-cou__Push__Password"] = "env-push-secret",
        });

        Assert.True(result.Success, string.Join("; ", result.Errors));
        var config = result.Config!;
        Assert.Equal("env-push-secret", config.FindDestination("kostanay-cou")!.Push!.Password);
        Assert.Equal(DigestServer.ComputeHa1("rop-dispatcher", "StreamGateway", "env-pull-secret"), config.FindDestination("lisakovsk-rop")!.Pull!.Users[0].Ha1);
        var text = config.ToString() + string.Join(",", config.Destinations);
        Assert.DoesNotContain("env-push-secret", text, StringComparison.Ordinal);
        Assert.DoesNotContain("env-pull-secret", text, StringComparison.Ordinal);
        Assert.DoesNotContain(config.FindDestination("lisakovsk-rop")!.Pull!.Users[0].Ha1, text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_config_without_destinations_has_no_routes_no_users_and_no_audit()
    {
        var result = LoadWith(
            ("Gateway:Schools:school-12:Destinations:0", null),
            ("Gateway:Destinations:kostanay-cou:Name", null),
            ("Gateway:Destinations:kostanay-cou:Push:Url", null),
            ("Gateway:Destinations:kostanay-cou:Pull:Users:cou-vms:Password", null));

        Assert.True(result.Success, string.Join("; ", result.Errors));
        Assert.Empty(result.Warnings);
        Assert.Empty(result.Config!.Destinations);
        Assert.False(result.Config.HasPullUsers);
        Assert.False(result.Config.Audit.Enabled);
        Assert.Empty(result.Config.PushRoutes());
    }

    [Fact]
    public void A_password_hash_is_accepted_as_the_HA1()
    {
        var ha1 = DigestServer.ComputeHa1("cou-vms", "StreamGateway", "pw").ToUpperInvariant();

        var result = LoadWith(
            ("Gateway:Destinations:kostanay-cou:Pull:Users:cou-vms:Password", null),
            ("Gateway:Destinations:kostanay-cou:Pull:Users:cou-vms:PasswordHash", ha1));

        Assert.True(result.Success, string.Join("; ", result.Errors));
        Assert.Equal(ha1.ToLowerInvariant(), result.Config!.Destinations[0].Pull!.Users[0].Ha1);
    }

    public static TheoryData<string, (string Key, string? Value)[], string, string> Errors => new()
    {
        { "unknown destination on a school", [("Gateway:Schools:school-12:Destinations:1", "nowhere")], "Gateway:Schools:school-12:Destinations:1", "unknown destination 'nowhere'" },
        { "unknown destination on a district", [("Gateway:Districts:kostanay:Destinations:0", "nowhere")], "Gateway:Districts:kostanay:Destinations:0", "unknown destination 'nowhere'" },
        { "unknown placeholder", [("Gateway:Destinations:kostanay-cou:Push:Url", "rtsp://m/{school}/{cam}")], "Gateway:Destinations:kostanay-cou:Push:Url", "unknown placeholder {cam}" },
        { "unbalanced brace", [("Gateway:Destinations:kostanay-cou:Push:Url", "rtsp://m/{school/{camera}")], "Gateway:Destinations:kostanay-cou:Push:Url", "unbalanced" },
        { "not rtsp", [("Gateway:Destinations:kostanay-cou:Push:Url", "http://m/{school}/{camera}")], "Gateway:Destinations:kostanay-cou:Push:Url", "is not an rtsp:// URL" },
        { "credentials in the URL", [("Gateway:Destinations:kostanay-cou:Push:Url", "rtsp://gw:pw@m/{school}/{camera}")], "Gateway:Destinations:kostanay-cou:Push:Url", "contains credentials" },
        { "missing URL", [("Gateway:Destinations:kostanay-cou:Push:Url", null), ("Gateway:Destinations:kostanay-cou:Push:Username", "gw")], "Gateway:Destinations:kostanay-cou:Push:Url", "Url is missing" },
        { "push password without user", [("Gateway:Destinations:kostanay-cou:Push:Password", "x")], "Gateway:Destinations:kostanay-cou:Push:Password", "without Username" },
        { "push over udp", [("Gateway:Destinations:kostanay-cou:Push:Transport", "udp")], "Gateway:Destinations:kostanay-cou:Push:Transport", "only tcp" },
        { "{district} for a school without one", [("Gateway:Schools:school-12:District", null), ("Gateway:Destinations:kostanay-cou:Push:Url", "rtsp://m/{district}/{school}/{camera}")], "Gateway:Schools:school-12:District", "has no District" },
        { "user without password", [("Gateway:Destinations:kostanay-cou:Pull:Users:cou-vms:Password", null), ("Gateway:Destinations:kostanay-cou:Pull:Users:cou-vms:PasswordHash", " ")], "Gateway:Destinations:kostanay-cou:Pull:Users:cou-vms", "neither Password nor PasswordHash" },
        { "password and hash", [("Gateway:Destinations:kostanay-cou:Pull:Users:cou-vms:PasswordHash", new string('a', 32))], "Gateway:Destinations:kostanay-cou:Pull:Users:cou-vms", "both Password and PasswordHash" },
        { "hash not an HA1", [("Gateway:Destinations:kostanay-cou:Pull:Users:cou-vms:Password", null), ("Gateway:Destinations:kostanay-cou:Pull:Users:cou-vms:PasswordHash", "plain-text-oops")], "Gateway:Destinations:kostanay-cou:Pull:Users:cou-vms:PasswordHash", "32 hex digits" },
        { "user in two destinations", [("Gateway:Destinations:other:Name", "Other"), ("Gateway:Destinations:other:Pull:Users:cou-vms:Password", "x")], "Gateway:Destinations:other:Pull:Users:cou-vms", "belongs to one destination" },
        { "AllowBasic not a bool", [("Gateway:Destinations:kostanay-cou:Pull:AllowBasic", "sometimes")], "Gateway:Destinations:kostanay-cou:Pull:AllowBasic", "not true or false" },
        { "destination id not path safe", [("Gateway:Destinations:bad id:Name", "X"), ("Gateway:Destinations:bad id:Pull:Users:z:Password", "x")], "Gateway:Destinations:bad id", "not URL-path safe" },
        { "routes not a list", [("Gateway:Schools:school-12:Destinations:0", null), ("Gateway:Schools:school-12:Destinations", "kostanay-cou")], "Gateway:Schools:school-12:Destinations", "expected a list of ids" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void Rejects_bad_destination_settings(string name, (string Key, string? Value)[] changes, string key, string reason)
    {
        var result = LoadWith(changes);

        Assert.False(result.Success, name);
        Assert.Contains(result.Errors, e => e.Key == key && e.Message.Contains(reason, StringComparison.Ordinal) && e.File == "test");
    }

    [Fact]
    public void Reports_every_destination_error_at_once()
    {
        var result = LoadWith(
            ("Gateway:Schools:school-12:Destinations:1", "nowhere"),
            ("Gateway:Destinations:kostanay-cou:Push:Url", "rtsp://m/{nope}"),
            ("Gateway:Destinations:kostanay-cou:Pull:AllowBasic", "maybe"));

        Assert.Equal(3, result.Errors.Count);
    }

    public static TheoryData<string, (string Key, string? Value)[], string, string> Warnings => new()
    {
        { "school routed nowhere", [("Gateway:Schools:school-12:Destinations:0", null)], "Gateway:Schools:school-12:Destinations", "routed to no destination" },
        { "district with no school", [("Gateway:Districts:atlantis:Destinations:0", "kostanay-cou")], "Gateway:Districts:atlantis", "no school has District 'atlantis'" },
        { "destination without name", [("Gateway:Destinations:kostanay-cou:Name", null)], "Gateway:Destinations:kostanay-cou:Name", "has no Name" },
        { "unknown key", [("Gateway:Destinations:kostanay-cou:Pull:Userz:x", "1")], "Gateway:Destinations:kostanay-cou:Pull:Userz", "did you mean 'Users'" },
    };

    [Theory]
    [MemberData(nameof(Warnings))]
    public void Warns_about_doubtful_routes(string name, (string Key, string? Value)[] changes, string key, string reason)
    {
        var result = LoadWith(changes);

        Assert.True(result.Success, name + ": " + string.Join("; ", result.Errors));
        Assert.Contains(result.Warnings, w => w.Key == key && w.Message.Contains(reason, StringComparison.Ordinal));
    }

    [Fact]
    public void Password_values_never_appear_in_diagnostics()
    {
        var result = LoadWith(
            ("Gateway:Destinations:kostanay-cou:Pull:Users:cou-vms:Password", "TopSecret1"),
            ("Gateway:Destinations:kostanay-cou:Pull:Users:cou-vms:PasswordHash", "TopSecret2"),
            ("Gateway:Destinations:kostanay-cou:Push:Password", "TopSecret3"));

        Assert.False(result.Success);
        var all = string.Join("\n", result.Errors.Concat(result.Warnings));
        Assert.DoesNotContain("TopSecret", all, StringComparison.Ordinal);
    }

    [Fact]
    public void Expands_district_and_escapes_ids_in_push_urls()
    {
        var push = new PushConfig { Url = "rtsp://m:8554/{district}/{school}/{camera}" };

        Assert.Equal("rtsp://m:8554/kostanay/school-12/cam%201", push.ExpandUrl("school-12", "cam 1", "kostanay"));
    }
}
