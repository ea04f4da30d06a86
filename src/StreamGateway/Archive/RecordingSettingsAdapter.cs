using System.Collections;
using System.Globalization;
using StreamGateway.Configuration;

namespace StreamGateway.Archive;

/// <summary>
/// Reads the <c>Gateway:Recording:*</c> keys the archive needs straight from the config file (and
/// <c>Gateway__Recording__*</c> environment overrides) until the recorder's config record lands. Isolated
/// on purpose: when GatewayConfig carries a recording record, replace <see cref="Read"/> with a mapping
/// from it and nothing else changes.
/// </summary>
internal static class RecordingSettingsAdapter
{
    public const string DefaultPath = "data/archive";
    public const int DefaultRetentionDays = 30;

    /// <summary>Null with <paramref name="errors"/> filled when a value is unusable.</summary>
    public static RetentionSettings? Read(string configPath, List<string> errors)
    {
        var diagnostics = new List<ConfigDiagnostic>();
        var values = JsonConfigReader.Read(configPath, diagnostics) ?? [];
        errors.AddRange(diagnostics.Select(d => d.ToString()));
        foreach (DictionaryEntry variable in Environment.GetEnvironmentVariables())
        {
            var key = ((string)variable.Key).Replace("__", ":", StringComparison.Ordinal);
            if (key.StartsWith("Gateway:Recording:", StringComparison.OrdinalIgnoreCase))
            {
                values[key] = variable.Value as string;
            }
        }

        string? Get(string name) => values.FirstOrDefault(kv => kv.Key.Equals("Gateway:Recording:" + name, StringComparison.OrdinalIgnoreCase)).Value;

        var path = Get("Path") is { Length: > 0 } p ? p : DefaultPath;
        var retention = ReadInt(Get("RetentionDays"), "RetentionDays", DefaultRetentionDays, errors, configPath);
        int? maxDays = Get("MaxDays") is { Length: > 0 } m ? ReadInt(m, "MaxDays", 0, errors, configPath) : null;
        var pause = Get("PauseLowestPriorityWhenShort") is { } b && bool.TryParse(b, out var flag) && flag;
        return errors.Count > 0 ? null : new RetentionSettings(Path.GetFullPath(path), retention, maxDays, pause);
    }

    private static int ReadInt(string? raw, string key, int fallback, List<string> errors, string file)
    {
        if (raw is null)
        {
            return fallback;
        }

        if (int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value is >= 1 and <= 36_500)
        {
            return value;
        }

        errors.Add($"{file}: Gateway:Recording:{key}: '{raw}' is not a whole number of days between 1 and 36500");
        return fallback;
    }
}
