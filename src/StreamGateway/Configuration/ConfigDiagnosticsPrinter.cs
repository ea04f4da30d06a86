namespace StreamGateway.Configuration;

/// <summary>Writes a load result for people: every error, then every warning, one per line.</summary>
internal static class ConfigDiagnosticsPrinter
{
    public static void Print(TextWriter writer, ConfigLoadResult result)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(result);
        if (result.Errors.Count > 0)
        {
            writer.WriteLine($"Configuration is invalid ({Count(result.Errors.Count, "error")}):");
            foreach (var error in result.Errors)
            {
                writer.WriteLine($"  error: {error}");
            }
        }

        if (result.Warnings.Count > 0)
        {
            writer.WriteLine($"Configuration has {Count(result.Warnings.Count, "warning")}:");
            foreach (var warning in result.Warnings)
            {
                writer.WriteLine($"  warning: {warning}");
            }
        }
    }

    private static string Count(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";
}
