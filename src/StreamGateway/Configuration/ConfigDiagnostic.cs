namespace StreamGateway.Configuration;

/// <summary>
/// One problem found in a configuration: where it came from (file name, "environment", or the name
/// of an in-memory source), the key in .NET colon form, and what is wrong. Never holds a secret.
/// </summary>
internal sealed record ConfigDiagnostic(string File, string Key, string Message)
{
    /// <summary>"{File}: {Key}: {Message}"; the key part is left out for file-level problems (no key).</summary>
    public override string ToString() => Key.Length == 0 ? $"{File}: {Message}" : $"{File}: {Key}: {Message}";
}

/// <summary>The outcome of loading a configuration: the config when valid, and every error and warning.</summary>
internal sealed class ConfigLoadResult
{
    public ConfigLoadResult(GatewayConfig? config, IReadOnlyList<ConfigDiagnostic> errors, IReadOnlyList<ConfigDiagnostic> warnings)
    {
        Errors = errors;
        Warnings = warnings;
        Config = errors.Count == 0 ? config : null;
    }

    /// <summary>The validated config; null when there is any error.</summary>
    public GatewayConfig? Config { get; }

    public IReadOnlyList<ConfigDiagnostic> Errors { get; }

    public IReadOnlyList<ConfigDiagnostic> Warnings { get; }

    public bool Success => Config is not null;

    public static ConfigLoadResult Failed(ConfigDiagnostic error) => new(null, [error], []);
}
