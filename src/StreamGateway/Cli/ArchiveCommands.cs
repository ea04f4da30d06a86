using System.Globalization;
using StreamGateway.Archive;
using StreamGateway.Configuration;

namespace StreamGateway.Cli;

/// <summary>
/// <c>compliance</c> and <c>export</c>: read-only commands over the recording archive. Both take the
/// archive path from the config (<c>Gateway:Recording:Path</c>) unless <c>--archive DIR</c> is given.
/// </summary>
internal static class ArchiveCommands
{
    public const string Usage = """
          StreamGateway compliance --config FILE [--format table|csv|json|html] [--days N] [--archive DIR] [--at TIME] [-o FILE]
                                                per school and camera: required days, archive depth, coverage, gaps
                                                (with causes), storage forecast; summary per district and region
          StreamGateway export --config FILE --school X --camera Y --from T1 --to T2 -o clip.mp4 [--archive DIR]
                                                one MP4 for the range by stream copy, plus clip.mp4.sha256.json
                                                (SHA-256 of the clip and of each source segment, gaps in the range)
                                                times are ISO-8601, UTC unless they carry an offset
        """;

    public static async Task<int> ComplianceAsync(string[] args, string usage)
    {
        if (!TryReadOptions(args, ["--config", "-c", "--format", "--days", "--archive", "--at", "-o", "--output"], out var options, out var error))
        {
            return await UsageErrorAsync("compliance: " + error, usage).ConfigureAwait(false);
        }

        var format = options.GetValueOrDefault("--format") ?? "table";
        if (!ComplianceFormats.Names.Contains(format))
        {
            return await UsageErrorAsync($"compliance: unknown format '{format}'; use table, csv, json or html", usage).ConfigureAwait(false);
        }

        int? days = null;
        if (options.GetValueOrDefault("--days") is { } rawDays)
        {
            if (!int.TryParse(rawDays, NumberStyles.Integer, CultureInfo.InvariantCulture, out var d) || d is < 1 or > 36_500)
            {
                return await UsageErrorAsync($"compliance: --days must be a whole number of days (1..36500), not '{rawDays}'", usage).ConfigureAwait(false);
            }

            days = d;
        }

        var now = DateTimeOffset.UtcNow;
        if (options.GetValueOrDefault("--at") is { } rawAt && !TryParseTime(rawAt, out now))
        {
            return await UsageErrorAsync($"compliance: --at '{rawAt}' is not an ISO-8601 time", usage).ConfigureAwait(false);
        }

        var context = await LoadAsync(options, usage).ConfigureAwait(false);
        if (context.Exit is { } exit)
        {
            return exit;
        }

        var report = BuildReport(context.Schools!, context.Settings!, now, days, DriveVolumeMeter.Instance);
        var text = ComplianceFormats.Write(report, format);
        var output = options.GetValueOrDefault("-o") ?? options.GetValueOrDefault("--output");
        if (output is not null)
        {
            await File.WriteAllTextAsync(output, text).ConfigureAwait(false);
            Console.WriteLine($"{output}: {report.Region.Compliant} compliant, {report.Region.Short} short, {report.Region.None} none of {report.Region.Schools} schools");
        }
        else
        {
            Console.Write(text);
        }

        return GatewayCommandLine.ExitOk;
    }

    /// <summary>The report for a loaded config; the HTTP endpoint and the CLI share it.</summary>
    public static ComplianceReport BuildReport(IReadOnlyList<ReportSchool> schools, RetentionSettings settings, DateTimeOffset now, int? windowDays, IVolumeMeter volume)
    {
        var index = ArchiveIndex.Scan(settings.Path);
        return ComplianceReportBuilder.Build(index, schools, volume.Measure(settings.Path), now, settings.RetentionDays, windowDays ?? settings.RetentionDays);
    }

    public static IReadOnlyList<ReportSchool> SchoolsOf(GatewayConfig config) =>
        [.. config.Schools.Select(s => new ReportSchool(s.Id, s.Name, s.District, [.. s.Cameras.Select(c => c.CameraId)]))];

    public static async Task<int> ExportAsync(string[] args, string usage)
    {
        if (!TryReadOptions(args, ["--config", "-c", "--school", "--camera", "--from", "--to", "-o", "--output", "--archive"], out var options, out var error))
        {
            return await UsageErrorAsync("export: " + error, usage).ConfigureAwait(false);
        }

        var school = options.GetValueOrDefault("--school");
        var camera = options.GetValueOrDefault("--camera");
        var output = options.GetValueOrDefault("-o") ?? options.GetValueOrDefault("--output");
        if (school is null || camera is null || output is null || !options.ContainsKey("--from") || !options.ContainsKey("--to"))
        {
            return await UsageErrorAsync("export needs --school X --camera Y --from T1 --to T2 -o FILE", usage).ConfigureAwait(false);
        }

        if (!TryParseTime(options["--from"]!, out var from) || !TryParseTime(options["--to"]!, out var to))
        {
            return await UsageErrorAsync("export: --from and --to must be ISO-8601 times, e.g. 2026-11-27T16:05:00Z", usage).ConfigureAwait(false);
        }

        if (to <= from)
        {
            return await UsageErrorAsync("export: --to must be after --from", usage).ConfigureAwait(false);
        }

        var context = await LoadAsync(options, usage).ConfigureAwait(false);
        if (context.Exit is { } exit)
        {
            return exit;
        }

        var index = ArchiveIndex.Scan(context.Settings!.Path);
        var bar = new ProgressBar(Console.Error, Console.IsErrorRedirected);
        var result = await ClipExporter.ExportAsync(index, school, camera, from, to, output, DateTimeOffset.UtcNow, bar.Report, CancellationToken.None).ConfigureAwait(false);
        bar.Finish();
        if (result.Error is not null)
        {
            await Console.Error.WriteLineAsync("export: " + result.Error).ConfigureAwait(false);
            return ExitExportFailed;
        }

        var sidecar = result.Sidecar!;
        Console.WriteLine($"{sidecar.Clip}: {sidecar.ExpectedVideoSeconds:0.0} s of video from {sidecar.Segments.Count} segments, sha256 {sidecar.ClipSha256}");
        Console.WriteLine($"sidecar: {result.SidecarPath}");
        foreach (var gap in sidecar.Gaps)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"GAP {gap.From:O} .. {gap.To:O} ({gap.Seconds:0.0} s, {gap.Cause}): no video in the archive; the clip skips it"));
        }

        if (sidecar.Gaps.Count == 0)
        {
            Console.WriteLine("no gaps in the range");
        }

        return GatewayCommandLine.ExitOk;
    }

    /// <summary>Exit code when the export itself fails (no footage, ffmpeg error).</summary>
    public const int ExitExportFailed = 3;

    private static async Task<(IReadOnlyList<ReportSchool>? Schools, RetentionSettings? Settings, int? Exit)> LoadAsync(Dictionary<string, string?> options, string usage)
    {
        var configPath = options.GetValueOrDefault("--config") ?? options.GetValueOrDefault("-c");
        if (configPath is null)
        {
            return (null, null, await UsageErrorAsync("needs --config FILE", usage).ConfigureAwait(false));
        }

        var loaded = GatewayConfigLoader.Load(configPath);
        if (!loaded.Success)
        {
            ConfigDiagnosticsPrinter.Print(Console.Error, loaded);
            return (null, null, GatewayCommandLine.ExitInvalidConfig);
        }

        var settings = RetentionSettings.From(loaded.Config!.Recording);
        if (options.GetValueOrDefault("--archive") is { } archive)
        {
            settings = settings with { Path = Path.GetFullPath(archive) };
        }

        return (SchoolsOf(loaded.Config!), settings, null);
    }

    internal static bool TryParseTime(string raw, out DateTimeOffset time) =>
        DateTimeOffset.TryParse(raw, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);

    private static bool TryReadOptions(string[] args, string[] known, out Dictionary<string, string?> options, out string error)
    {
        options = new Dictionary<string, string?>(StringComparer.Ordinal);
        error = "";
        for (var i = 1; i < args.Length; i++)
        {
            if (!known.Contains(args[i]) || i + 1 >= args.Length)
            {
                error = $"unknown or incomplete option '{args[i]}'";
                return false;
            }

            options[args[i]] = args[++i];
        }

        return true;
    }

    private static async Task<int> UsageErrorAsync(string message, string usage)
    {
        await Console.Error.WriteLineAsync(message + Environment.NewLine + Environment.NewLine + usage).ConfigureAwait(false);
        return GatewayCommandLine.ExitUsage;
    }

    /// <summary>A terminal bar redrawn in place; when redirected, one line per 10 % so logs stay short.</summary>
    private sealed class ProgressBar(TextWriter writer, bool redirected)
    {
        private const int Width = 40;
        private int _lastShown = -1;

        public void Report(double percent)
        {
            var p = (int)Math.Clamp(percent, 0, 100);
            if (redirected)
            {
                if (p / 10 > _lastShown / 10 || _lastShown < 0)
                {
                    _lastShown = p;
                    writer.WriteLine($"progress {p}%");
                }

                return;
            }

            if (p == _lastShown)
            {
                return;
            }

            _lastShown = p;
            var filled = p * Width / 100;
            writer.Write($"\r[{new string('#', filled)}{new string('.', Width - filled)}] {p,3}%");
        }

        public void Finish()
        {
            if (!redirected && _lastShown >= 0)
            {
                writer.WriteLine();
            }
        }
    }
}
