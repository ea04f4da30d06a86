using StreamGateway.Configuration;

namespace StreamGateway.Tests.Configuration;

public class RelayConfigTests
{
    private static readonly Dictionary<string, string?> Base = new()
    {
        ["Gateway:Schools:school-12:Name"] = "School No. 12",
        ["Gateway:Schools:school-12:Cameras:entrance:Source"] = "rtsp://10.20.0.11/stream1",
    };

    private static ConfigLoadResult LoadWith(params (string Key, string? Value)[] changes) => InMemoryConfig.Load(Base, changes);

    [Fact]
    public void Without_a_Relay_section_the_GOP_cache_is_on_with_16_MiB_per_camera()
    {
        var result = LoadWith();

        Assert.True(result.Success, string.Join("; ", result.Errors));
        Assert.Equal(new RelaySettings { GopCache = true, GopCacheMaxMegabytes = 16 }, result.Config!.Relay);
        var options = result.Config.Relay.ToRelayOptions();
        Assert.Equal((true, 16L * 1024 * 1024), (options.GopCacheEnabled, options.GopCacheMaxBytes));
    }

    [Fact]
    public void Accepts_every_relay_key_and_passes_it_to_the_hubs()
    {
        var result = LoadWith(("Gateway:Relay:GopCache", "false"), ("Gateway:Relay:GopCacheMaxMegabytes", "4"));

        Assert.True(result.Success, string.Join("; ", result.Errors));
        Assert.Empty(result.Warnings);
        var options = result.Config!.Relay.ToRelayOptions();
        Assert.Equal((false, 4L * 1024 * 1024), (options.GopCacheEnabled, options.GopCacheMaxBytes));
    }

    [Theory]
    [InlineData("Gateway:Relay:GopCache", "no", "not true or false")]
    [InlineData("Gateway:Relay:GopCacheMaxMegabytes", "0", "from 1 to 256")]
    [InlineData("Gateway:Relay:GopCacheMaxMegabytes", "257", "from 1 to 256")]
    [InlineData("Gateway:Relay:GopCacheMaxMegabytes", "16MB", "from 1 to 256")]
    public void Rejects_a_bad_relay_value_naming_its_key_and_the_reason(string key, string value, string reason)
    {
        var result = LoadWith((key, value));

        Assert.False(result.Success);
        var error = Assert.Single(result.Errors);
        Assert.Equal(key, error.Key);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Warns_about_an_unknown_key_under_Relay()
    {
        var result = LoadWith(("Gateway:Relay:GopCacheSeconds", "2"));

        Assert.True(result.Success, string.Join("; ", result.Errors));
        Assert.Contains(result.Warnings, w => w.Key == "Gateway:Relay:GopCacheSeconds");
    }
}
