using Microsoft.Extensions.Configuration;
using StreamGateway.Configuration;

namespace StreamGateway.Tests.Configuration;

public class GatewayConfigLoaderTests
{
    private const string Camera = "Gateway:Schools:school-12:Cameras:entrance";

    /// <summary>A valid in-memory config that rule tests change one key at a time.</summary>
    private static Dictionary<string, string?> ValidKeys() => new()
    {
        ["Gateway:Rtsp:Port"] = "8554",
        ["Gateway:Http:Port"] = "8080",
        ["Gateway:Schools:school-12:Name"] = "School No. 12",
        [Camera + ":Source"] = "rtsp://10.20.0.11:554/Streaming/Channels/101",
        [Camera + ":Transport"] = "tcp",
    };

    private static ConfigLoadResult LoadKeys(IEnumerable<KeyValuePair<string, string?>> values) =>
        GatewayConfigLoader.Load(new ConfigurationBuilder().AddInMemoryCollection(values).Build(), "test");

    private static ConfigLoadResult LoadWith(params (string Key, string? Value)[] changes)
    {
        var values = ValidKeys();
        foreach (var (key, value) in changes)
        {
            values[key] = value;
        }

        return LoadKeys(values);
    }

    [Fact]
    public void Accepts_the_documented_example()
    {
        using var file = new TempConfigFile(TempConfigFile.Example);

        var result = file.Load();

        Assert.True(result.Success, string.Join("; ", result.Errors));
        Assert.Empty(result.Warnings);
        var config = result.Config!;
        Assert.Equal((8554, "0.0.0.0", 8080, "0.0.0.0"), (config.RtspPort, config.RtspBindAddress, config.HttpPort, config.HttpBindAddress));
        var school = Assert.Single(config.Schools);
        Assert.Equal(("school-12", "School No. 12, Kostanay", "kostanay"), (school.Id, school.Name, school.District));
        Assert.Equal(["school-12/entrance", "school-12/yard"], school.Cameras.Select(c => c.Path));

        var entrance = school.Cameras[0];
        Assert.Equal("rtsp://10.20.0.11:554/Streaming/Channels/101", entrance.Source);
        Assert.Equal(("admin", "secret"), (entrance.Username, entrance.Password));
        Assert.Equal(CameraTransport.Tcp, entrance.Transport);
        Assert.False(entrance.OnDemand);

        var yard = school.Cameras[1];
        Assert.Equal(("rtsp://10.20.0.12/stream1", "admin", "from-env", CameraTransport.Auto), (yard.Source, yard.Username, yard.Password, yard.Transport));
    }

    [Fact]
    public void An_environment_variable_overrides_the_password_from_the_file()
    {
        using var file = new TempConfigFile(TempConfigFile.Example);

        var result = file.Load(new Dictionary<string, string?>
        {
            ["Gateway__Schools__school-12__Cameras__yard__Password"] = "pass-from-environment",
            ["Gateway__Http__Port"] = "0",
            ["UNRELATED__Variable"] = "ignored",
        });

        Assert.True(result.Success, string.Join("; ", result.Errors));
        Assert.Equal("pass-from-environment", result.Config!.Schools[0].Cameras.Single(c => c.CameraId == "yard").Password);
        Assert.Equal(0, result.Config.HttpPort);
    }

    [Fact]
    public void An_environment_variable_can_add_a_camera_and_its_errors_name_the_environment()
    {
        using var file = new TempConfigFile(TempConfigFile.Example);

        var result = file.Load(new Dictionary<string, string?>
        {
            ["Gateway__Schools__school-12__Cameras__gate__Source"] = "rtsp://10.20.0.13/stream1",
            ["Gateway__Schools__school-12__Cameras__gate__Transport"] = "carrier-pigeon",
        });

        var error = Assert.Single(result.Errors);
        Assert.Equal(("environment", "Gateway:Schools:school-12:Cameras:gate:Transport"), (error.File, error.Key));
    }

    [Fact]
    public void Missing_optional_keys_take_their_defaults()
    {
        var result = LoadKeys(new Dictionary<string, string?> { [Camera + ":Source"] = "rtsp://10.20.0.11/1" });

        Assert.True(result.Success, string.Join("; ", result.Errors));
        var config = result.Config!;
        Assert.Equal((8554, "0.0.0.0", 8080, "0.0.0.0"), (config.RtspPort, config.RtspBindAddress, config.HttpPort, config.HttpBindAddress));
        Assert.Equal((1000, 256), (config.RtspMaxConnections, config.RtspMaxConnectionsPerClientAddress));
        var camera = config.Schools[0].Cameras[0];
        Assert.Equal((CameraTransport.Auto, false, (string?)null, (string?)null), (camera.Transport, camera.OnDemand, camera.Username, camera.Password));
    }

    public static TheoryData<string, string, object> AcceptedValues => new()
    {
        { Camera + ":Transport", "TCP", CameraTransport.Tcp },
        { Camera + ":Transport", "Udp", CameraTransport.Udp },
        { Camera + ":Transport", "auto", CameraTransport.Auto },
        { Camera + ":OnDemand", "true", true },
        { Camera + ":OnDemand", "False", false },
        { "Gateway:Rtsp:Port", "0", 0 },
        { "Gateway:Http:Port", "65535", 65535 },
        { "Gateway:Rtsp:BindAddress", "127.0.0.1", "127.0.0.1" },
        { "Gateway:Http:BindAddress", "::1", "::1" },
        { "Gateway:Rtsp:MaxConnections", "5000", 5000 },
        { "Gateway:Rtsp:MaxConnectionsPerClientAddress", "1000", 1000 },
    };

    [Theory]
    [MemberData(nameof(AcceptedValues))]
    public void Accepts_every_allowed_spelling_of_a_value(string key, string value, object expected)
    {
        var result = LoadWith((key, value));

        Assert.True(result.Success, string.Join("; ", result.Errors));
        var config = result.Config!;
        var camera = config.Schools[0].Cameras[0];
        object actual = key.Split(':')[^1] switch
        {
            "Transport" => camera.Transport,
            "OnDemand" => camera.OnDemand,
            "Port" => key.Contains("Rtsp", StringComparison.Ordinal) ? config.RtspPort : config.HttpPort,
            "MaxConnections" => config.RtspMaxConnections,
            "MaxConnectionsPerClientAddress" => config.RtspMaxConnectionsPerClientAddress,
            _ => key.Contains("Rtsp", StringComparison.Ordinal) ? config.RtspBindAddress : config.HttpBindAddress,
        };
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Both_ports_may_be_zero()
    {
        var result = LoadWith(("Gateway:Rtsp:Port", "0"), ("Gateway:Http:Port", "0"));

        Assert.True(result.Success, string.Join("; ", result.Errors));
    }

    public static TheoryData<string, string?, string, string> Rejections => new()
    {
        // changed key, new value, key the error names, part of the reason
        { "Gateway:Rtsp:Port", "85x4", "Gateway:Rtsp:Port", "not an integer" },
        { "Gateway:Rtsp:Port", "-1", "Gateway:Rtsp:Port", "out of range" },
        { "Gateway:Http:Port", "70000", "Gateway:Http:Port", "out of range" },
        { "Gateway:Http:Port", "8554", "Gateway:Http:Port", "also Rtsp:Port" },
        { "Gateway:Rtsp:BindAddress:Ip", "127.0.0.1", "Gateway:Rtsp:BindAddress", "expected a single value" },
        { "Gateway:Rtsp:BindAddress", "all-interfaces", "Gateway:Rtsp:BindAddress", "not an IP address" },
        { "Gateway:Rtsp:MaxConnections", "0", "Gateway:Rtsp:MaxConnections", "from 1 to 100000" },
        { "Gateway:Rtsp:MaxConnections", "many", "Gateway:Rtsp:MaxConnections", "not a whole number of connections" },
        { "Gateway:Rtsp:MaxConnectionsPerClientAddress", "2000", "Gateway:Rtsp:MaxConnectionsPerClientAddress", "more than Rtsp:MaxConnections (1000)" },
        { Camera + ":Source", null, Camera + ":Source", "Source is missing" },
        { Camera + ":Source", "  ", Camera + ":Source", "Source is missing" },
        { Camera + ":Source", "http://10.20.0.11/stream", Camera + ":Source", "must use rtsp:// or rtsps://" },
        { Camera + ":Source", "10.20.0.11/stream", Camera + ":Source", "not an absolute" },
        { Camera + ":Source", "rtsp:///stream", Camera + ":Source", "with a host" },
        { Camera + ":Source", "rtsp://admin:pa/ss@10.20.0.11/x", Camera + ":Source", "'@' after the host" },
        { Camera + ":Source", "rtsp://:pw@10.20.0.11/x", Camera + ":Source", "password without a user name" },
        { Camera + ":Transport", "tcpp", Camera + ":Transport", "unknown transport" },
        { Camera + ":Transport", "1", Camera + ":Transport", "unknown transport" },
        { Camera + ":OnDemand", "yes", Camera + ":OnDemand", "not true or false" },
        { Camera + ":Password", "pw", Camera + ":Password", "without Username" },
        { Camera + ":Username", "admin", Camera, "give credentials in one place" },
        { "Gateway:Schools:school 12:Cameras:a:Source", "rtsp://10.20.0.11/1", "Gateway:Schools:school 12", "not URL-path safe" },
        { "Gateway:Schools:school-12:Cameras:cam/1:Source", "rtsp://10.20.0.11/1", "Gateway:Schools:school-12:Cameras:cam/1", "not URL-path safe" },
        { "Gateway:Schools:school-12:Cameras:..:Source", "rtsp://10.20.0.11/1", "Gateway:Schools:school-12:Cameras:..", "not URL-path safe" },
        { "Gateway:Schools:school-12:Cameras:gate", "rtsp://10.20.0.11/1", "Gateway:Schools:school-12:Cameras:gate", "found a single value" },
    };

    [Theory]
    [MemberData(nameof(Rejections))]
    public void Rejects_a_bad_value_naming_its_key_and_the_reason(string key, string? value, string expectedKey, string reason)
    {
        var values = ValidKeys();
        values[key] = value;
        if (expectedKey.EndsWith(":entrance", StringComparison.Ordinal))
        {
            // The "credentials in one place" case: user info in the URL and a Username key.
            values[Camera + ":Source"] = "rtsp://admin:pw@10.20.0.11/1";
        }

        var result = LoadKeys(values);

        Assert.False(result.Success);
        Assert.Null(result.Config);
        var error = Assert.Single(result.Errors);
        Assert.Equal(("test", expectedKey), (error.File, error.Key));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.Equal($"test: {expectedKey}: {error.Message}", error.ToString());
    }

    [Fact]
    public void A_config_with_three_different_mistakes_reports_all_three_keys_at_once()
    {
        const string json = """
            {
              "Gateway": {
                "Rtsp": { "Port": "eighty" },
                "Schools": {
                  "school-12": {
                    "Name": "School No. 12",
                    "Cameras": {
                      "entrance": { "Source": "rtsp://10.20.0.11/1", "Transport": "smoke-signals" },
                      "yard": { "Transport": "tcp" }
                    }
                  }
                }
              }
            }
            """;

        var result = TempConfigFile.LoadText(json);

        Assert.False(result.Success);
        Assert.Equal(
            ["Gateway:Rtsp:Port", "Gateway:Schools:school-12:Cameras:entrance:Transport", "Gateway:Schools:school-12:Cameras:yard:Source"],
            result.Errors.Select(e => e.Key).Order(StringComparer.Ordinal));
    }

    public static TheoryData<string, string?, string, string> Warnings => new()
    {
        { Camera + ":Trasnport", "tcp", Camera + ":Trasnport", "did you mean 'Transport'?" },
        { "Gateway:Schools:school-12:Adress", "Main st.", "Gateway:Schools:school-12:Adress", "unknown key 'Adress'" },
        { "Gateway:Rtps:Port", "554", "Gateway:Rtps", "did you mean 'Rtsp'?" },
        { "Gateway:Schools:school-12:Name", null, "Gateway:Schools:school-12:Name", "has no Name" },
        { "Gateway:Schools:school-13:Name", "Empty school", "Gateway:Schools:school-13:Cameras", "has no cameras" },
    };

    [Theory]
    [MemberData(nameof(Warnings))]
    public void Warns_about_a_doubtful_value_naming_its_key(string key, string? value, string expectedKey, string reason)
    {
        var result = LoadWith((key, value));

        Assert.True(result.Success, string.Join("; ", result.Errors));
        var warning = Assert.Single(result.Warnings);
        Assert.Equal(expectedKey, warning.Key);
        Assert.Contains(reason, warning.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string> UrlCredentials => new()
    {
        { "rtsp://admin:secret@10.20.0.11:554/ch1", "admin", "secret" },
        { "rtsp://user%40corp:p%3Ass%2Fw@10.20.0.11/ch1", "user@corp", "p:ss/w" },
        { "rtsps://viewer@10.20.0.11/ch1", "viewer", "" },
        { "rtsp://admin:pw@[fe80::1]:554/ch1", "admin", "pw" },
    };

    [Theory]
    [MemberData(nameof(UrlCredentials))]
    public void Moves_credentials_from_the_url_into_username_and_password(string source, string username, string password)
    {
        var result = LoadWith((Camera + ":Source", source));

        Assert.True(result.Success, string.Join("; ", result.Errors));
        var camera = result.Config!.Schools[0].Cameras[0];
        Assert.Equal((username, password), (camera.Username, camera.Password ?? string.Empty));
        Assert.DoesNotContain("@", camera.Source, StringComparison.Ordinal);
        Assert.True(Uri.TryCreate(camera.Source, UriKind.Absolute, out var uri));
        Assert.Equal(string.Empty, uri.UserInfo);
    }

    public static TheoryData<string, string, string> DuplicateKeys => new()
    {
        {
            """{ "Gateway": { "Schools": { "school-12": { "Cameras": { "a": { "Source": "rtsp://h/1" } } }, "school-12": { "Name": "again" } } } }""",
            "Gateway:Schools:school-12", "more than once"
        },
        {
            """{ "Gateway": { "Schools": { "school-12": { "Cameras": { "Entrance": { "Source": "rtsp://h/1" }, "entrance": { "Source": "rtsp://h/2" } } } } } }""",
            "Gateway:Schools:school-12:Cameras:entrance", "repeats 'Entrance'"
        },
        {
            """{ "Gateway": { "Schools": { "s": { "Cameras": { "a": { "Source": "rtsp://h/1", "transport": "tcp", "Transport": "udp" } } } } } }""",
            "Gateway:Schools:s:Cameras:a:Transport", "ignoring case"
        },
        {
            """{ "Gateway": { "Rtsp": { "Port": 1 } }, "GATEWAY": { "Http": { "Port": 2 } } }""",
            "GATEWAY", "repeats 'Gateway'"
        },
    };

    [Theory]
    [MemberData(nameof(DuplicateKeys))]
    public void Rejects_keys_given_twice_in_one_object_even_when_the_case_differs(string json, string expectedKey, string reason)
    {
        var result = TempConfigFile.LoadText(json);

        Assert.False(result.Success);
        var error = Assert.Single(result.Errors);
        Assert.Equal(expectedKey, error.Key);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> BrokenJson => new()
    {
        { "{\n  \"Gateway\": {\n    \"Rtsp\": { \"Port\": 1 }\n    \"Http\": { \"Port\": 2 }\n  }\n}", "line 4" },
        { "{\n  \"Gateway\": {\n", "line 3" },
        { "", "line 1" },
        { "{ \"Gateway\": { } } }", "line 1" },
    };

    [Theory]
    [MemberData(nameof(BrokenJson))]
    public void Rejects_invalid_json_naming_the_file_and_line(string json, string line)
    {
        using var file = new TempConfigFile(json);

        var result = file.Load();

        var error = Assert.Single(result.Errors);
        Assert.Equal((file.FilePath, string.Empty), (error.File, error.Key));
        Assert.Contains($"invalid JSON at {line},", error.Message, StringComparison.Ordinal);
        Assert.StartsWith($"{file.FilePath}: invalid JSON", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Accepts_comments_trailing_commas_and_a_byte_order_mark_like_the_stock_json_provider()
    {
        const string json = "\uFEFF{ // gateway\n \"Gateway\": { \"Schools\": { \"s\": { \"Name\": \"n\", \"Cameras\": { \"c\": { \"Source\": \"rtsp://h/1\", \"OnDemand\": true, }, }, }, }, }, }";

        var result = TempConfigFile.LoadText(json);

        Assert.True(result.Success, string.Join("; ", result.Errors));
        Assert.True(result.Config!.Schools[0].Cameras[0].OnDemand);
    }

    public static TheoryData<string, string, string> FileLevelErrors => new()
    {
        { "[1, 2]", string.Empty, "must be a JSON object" },
        { """{ "Gateway": { "Schools": 5 } }""", "Gateway:Schools", "no schools" },
        { """{ "Other": { } }""", "Gateway", "the Gateway section is missing" },
    };

    [Theory]
    [MemberData(nameof(FileLevelErrors))]
    public void Reports_a_file_without_a_usable_gateway_section(string json, string key, string reason)
    {
        var result = TempConfigFile.LoadText(json);

        var diagnostic = Assert.Single(result.Errors.Concat(result.Warnings));
        Assert.Equal(key, diagnostic.Key);
        Assert.Contains(reason, diagnostic.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reports_a_missing_file_with_its_name()
    {
        var path = Path.Combine(Path.GetTempPath(), "sg-no-such-dir-" + Guid.NewGuid().ToString("N"), "gateway.json");

        var result = GatewayConfigLoader.Load(path, new Dictionary<string, string?>());

        var error = Assert.Single(result.Errors);
        Assert.Equal($"{path}: configuration file not found", error.ToString());
    }

    [Fact]
    public void Sorts_schools_and_cameras_by_id()
    {
        var result = LoadKeys(new Dictionary<string, string?>
        {
            ["Gateway:Schools:b:Name"] = "B",
            ["Gateway:Schools:b:Cameras:z:Source"] = "rtsp://h/1",
            ["Gateway:Schools:b:Cameras:a:Source"] = "rtsp://h/2",
            ["Gateway:Schools:a:Name"] = "A",
            ["Gateway:Schools:a:Cameras:m:Source"] = "rtsp://h/3",
        });

        Assert.True(result.Success, string.Join("; ", result.Errors));
        Assert.Equal(["a/m", "b/a", "b/z"], result.Config!.Schools.SelectMany(s => s.Cameras).Select(c => c.Path));
    }

    [Fact]
    public void Two_loads_of_the_same_file_give_equal_configs()
    {
        using var file = new TempConfigFile(TempConfigFile.Example);

        var first = file.Load().Config;
        var second = file.Load().Config;

        Assert.NotSame(first, second);
        Assert.Equal(first, second);
        Assert.Equal(first!.GetHashCode(), second!.GetHashCode());
    }
}
