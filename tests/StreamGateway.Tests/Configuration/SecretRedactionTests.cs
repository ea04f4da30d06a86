using Microsoft.Extensions.Configuration;
using StreamGateway.Configuration;

namespace StreamGateway.Tests.Configuration;

public class SecretRedactionTests
{
    public static TheoryData<string, string> Urls => new()
    {
        { "rtsp://admin:secret@10.0.0.1:554/x", "rtsp://admin:***@10.0.0.1:554/x" },
        { "rtsp://admin@10.0.0.1/x", "rtsp://admin@10.0.0.1/x" },
        { "rtsp://10.0.0.1:554/x", "rtsp://10.0.0.1:554/x" },
        { "rtsp://[fe80::1]:554/x", "rtsp://[fe80::1]:554/x" },
        { "rtsp://admin:p@ss/w rd@10.0.0.1/x", "rtsp://admin:***@10.0.0.1/x" },
        { "rtsp//admin:secret@10.0.0.1/x", "rtsp//admin:***@10.0.0.1/x" },
        { "admin:secret@10.0.0.1", "admin:***@10.0.0.1" },
        { "rtsp://:secret@h", "rtsp://:***@h" },
        { "", "" },
    };

    [Theory]
    [MemberData(nameof(Urls))]
    public void Redacts_the_password_of_well_formed_and_malformed_urls(string url, string expected)
    {
        Assert.Equal(expected, SecretRedactor.RedactUrl(url));
    }

    /// <summary>Bad configs carrying a distinctive password; each must fail or warn without showing it.</summary>
    public static TheoryData<string, string, string?> ConfigsWithSecrets => new()
    {
        // description, password, JSON camera body (or null for the cases built below)
        { "URL credentials and a bad transport", "Pw-Alpha-7731", """{ "Source": "rtsp://admin:Pw-Alpha-7731@10.0.0.1/x", "Transport": "bogus" }""" },
        { "URL credentials and a Username key", "Pw-Bravo-7732", """{ "Source": "rtsp://admin:Pw-Bravo-7732@10.0.0.1/x", "Username": "admin" }""" },
        { "URL credentials and a Password key", "Pw-Charlie-7733", """{ "Source": "rtsp://admin:x@10.0.0.1/x", "Password": "Pw-Charlie-7733" }""" },
        { "scheme without colon", "Pw-Delta-7734", """{ "Source": "rtsp//admin:Pw-Delta-7734@10.0.0.1/x" }""" },
        { "single slash after scheme", "Pw-Echo-7735", """{ "Source": "rtsps:/admin:Pw-Echo-7735@10.0.0.1/x" }""" },
        { "unescaped slash in password", "Pw/Foxtrot-7736", """{ "Source": "rtsp://admin:Pw/Foxtrot-7736@10.0.0.1/x" }""" },
        { "space in password", "Pw Golf-7737", """{ "Source": "rtsp://admin:Pw Golf-7737@10.0.0.1/x", "OnDemand": "maybe" }""" },
        { "wrong scheme", "Pw-Hotel-7738", """{ "Source": "http://admin:Pw-Hotel-7738@10.0.0.1/x" }""" },
        { "no host", "Pw-India-7739", """{ "Source": "rtsp://admin:Pw-India-7739@/x" }""" },
        { "password without user", "Pw-Juliett-7740", """{ "Source": "rtsp://10.0.0.1/x", "Password": "Pw-Juliett-7740" }""" },
        { "misspelled password key", "Pw-Kilo-7741", """{ "Source": "rtsp://10.0.0.1/x", "Username": "u", "Pasword": "Pw-Kilo-7741" }""" },
        { "percent-encoded password and bad transport", "Pw@Lima-7742", """{ "Source": "rtsp://admin:Pw%40Lima-7742@10.0.0.1/x", "Transport": 7 }""" },
        { "duplicate camera with credentials", "Pw-Mike-7743", """{ "Source": "rtsp://admin:Pw-Mike-7743@10.0.0.1/x" }, "CAM": { "Source": "rtsp://admin:Pw-Mike-7743@10.0.0.1/y" }""" },
        { "broken JSON right after the password", "Pw-November-7744", """{ "Source": "rtsp://admin:Pw-November-7744@10.0.0.1/x" "Transport": "tcp" }""" },
        { "valid config (ToString of the model)", "Pw-Oscar-7745", """{ "Source": "rtsp://admin:Pw-Oscar-7745@10.0.0.1/x" }""" },
    };

    [Theory]
    [MemberData(nameof(ConfigsWithSecrets))]
    public void No_diagnostic_printout_or_model_text_contains_a_password(string description, string password, string? camera)
    {
        var json = $$"""{ "Gateway": { "Schools": { "school-1": { "Cameras": { "cam": {{camera}} } } } } }""";

        var result = TempConfigFile.LoadText(json);

        var printed = new StringWriter();
        ConfigDiagnosticsPrinter.Print(printed, result);
        var everything = string.Join(
            "\n",
            result.Errors.Concat(result.Warnings).Select(d => d.ToString())
                .Append(printed.ToString())
                .Append(result.Config?.ToString() ?? string.Empty)
                .Append(string.Concat(result.Config?.Schools.SelectMany(s => s.Cameras).Select(c => c.ToString()) ?? [])));
        Assert.True(result.Errors.Count + result.Warnings.Count > 0 || result.Config is not null, description);
        Assert.DoesNotContain(password, everything, StringComparison.Ordinal);
        Assert.DoesNotContain(Uri.EscapeDataString(password), everything, StringComparison.Ordinal);
    }

    [Fact]
    public void A_password_from_the_environment_does_not_appear_in_any_output()
    {
        const string password = "Pw-Papa-7746";
        using var file = new TempConfigFile(TempConfigFile.Example);

        var result = file.Load(new Dictionary<string, string?>
        {
            ["Gateway__Schools__school-12__Cameras__entrance__Password"] = password, // conflicts with the URL credentials
        });

        Assert.False(result.Success);
        var printed = new StringWriter();
        ConfigDiagnosticsPrinter.Print(printed, result);
        Assert.DoesNotContain(password, printed.ToString(), StringComparison.Ordinal);
        Assert.Contains("give credentials in one place", printed.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_model_prints_without_passwords_but_shows_one_is_set()
    {
        var camera = new CameraConfig
        {
            SchoolId = "s",
            CameraId = "c",
            Source = "rtsp://10.0.0.1/x",
            Username = "admin",
            Password = "Pw-Quebec-7747",
        };
        var config = new GatewayConfig { Schools = [new SchoolConfig { Id = "s", Cameras = [camera] }] };

        foreach (var text in new[] { camera.ToString(), config.ToString(), config.Schools[0].ToString() })
        {
            Assert.DoesNotContain("Pw-Quebec-7747", text, StringComparison.Ordinal);
            Assert.Contains("Password = ***", text, StringComparison.Ordinal);
            Assert.Contains("s/c", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void An_in_memory_config_never_quotes_a_password_either()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Gateway:Schools:s:Cameras:c:Source"] = "ftp://admin:Pw-Romeo-7748@10.0.0.1/x",
        }).Build();

        var result = GatewayConfigLoader.Load(configuration, "demo");

        var error = Assert.Single(result.Errors);
        Assert.DoesNotContain("Pw-Romeo-7748", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("ftp://admin:***@10.0.0.1/x", error.Message, StringComparison.Ordinal);
    }
}
