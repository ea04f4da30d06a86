using Microsoft.Extensions.Configuration;
using StreamGateway.Configuration;

namespace StreamGateway.Tests.Configuration;

/// <summary>Loads a config from key/value pairs through the program's loader, as a file would be.</summary>
internal static class InMemoryConfig
{
    /// <summary><paramref name="values"/> with <paramref name="changes"/> applied on top (a later key wins).</summary>
    public static ConfigLoadResult Load(IReadOnlyDictionary<string, string?> values, params (string Key, string? Value)[] changes)
    {
        var merged = new Dictionary<string, string?>(values);
        foreach (var (key, value) in changes)
        {
            merged[key] = value;
        }

        return GatewayConfigLoader.Load(new ConfigurationBuilder().AddInMemoryCollection(merged).Build(), "test");
    }
}
