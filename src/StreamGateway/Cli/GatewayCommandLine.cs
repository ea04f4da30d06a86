using System.Runtime.InteropServices;
using System.Globalization;
using Microsoft.Extensions.Logging;
using StreamGateway.Audit;
using StreamGateway.Configuration;
using StreamGateway.Demo;
using StreamGateway.Hosting;

namespace StreamGateway.Cli;

/// <summary>
/// The program's commands. <c>run</c> (the default) serves a config file, or the built-in demo
/// without one; <c>validate</c> checks a config and exits. Exit codes: 0 ok, 1 invalid config,
/// 2 bad command line.
/// </summary>
internal static class GatewayCommandLine
{
    public const int ExitOk = 0;
    public const int ExitInvalidConfig = 1;
    public const int ExitUsage = 2;

    private const string Usage = """
        StreamGateway: relays school CCTV cameras to operations centers over RTSP.

        Usage:
          StreamGateway [run] [--config FILE]   serve the cameras in FILE; without --config, run the built-in demo
          StreamGateway validate --config FILE  check FILE, print every error, exit 0 (valid) or 1 (invalid)
          StreamGateway camera-farm --cameras N --port P [--bitrate-clip FILE] [--aligned-keyframes]
                                                load-test cameras: N replays of one H.264 clip (default: the demo clip)
                                                at rtsp://127.0.0.1:P/cam1..camN, 25 fps; prints READY <port>;
                                                each camera starts at its own point of the clip (GOPs out of step, as
                                                independent cameras are) unless --aligned-keyframes
          StreamGateway audit verify [FILE|DIR | --config FILE]   (default: data/audit)
                                                check the audit hash chain; exit 0 when intact, 1 naming the first
                                                edited, removed or reordered line
          StreamGateway audit query [--path FILE|DIR | --config FILE] [--school ID] [--from T] [--to T]
                                                sessions overlapping [T, T] (ISO-8601, UTC unless an offset is given),
                                                one JSON line each: who watched which camera, when
          StreamGateway --help
        """ + "\n" + ArchiveCommands.Usage + "\n" + """

        Environment variables override any config key, e.g.
          Gateway__Schools__school-12__Cameras__yard__Password=...
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length > 0 && args[0] == "camera-farm")
        {
            return await CameraFarmAsync(args).ConfigureAwait(false);
        }

        if (args.Length > 0 && args[0] == "compliance")
        {
            return await ArchiveCommands.ComplianceAsync(args, Usage).ConfigureAwait(false);
        }

        if (args.Length > 0 && args[0] == "export")
        {
            return await ArchiveCommands.ExportAsync(args, Usage).ConfigureAwait(false);
        }

        if (args.Length > 0 && args[0] == "audit")
        {
            return AuditCommand(args, Console.Out, Console.Error);
        }

        if (!TryParse(args, out var command, out var configPath, out var usageError))
        {
            await Console.Error.WriteLineAsync(usageError + Environment.NewLine + Environment.NewLine + Usage).ConfigureAwait(false);
            return ExitUsage;
        }

        switch (command)
        {
            case "help":
                Console.WriteLine(Usage);
                return ExitOk;
            case "validate":
                return Validate(configPath!);
            default:
                return await ServeAsync(configPath).ConfigureAwait(false);
        }
    }

    private static bool TryParse(string[] args, out string command, out string? configPath, out string error)
    {
        command = "run";
        configPath = null;
        error = string.Empty;
        var position = 0;
        if (args.Length > 0 && !args[0].StartsWith('-'))
        {
            command = args[0];
            position = 1;
            if (command is not ("run" or "validate"))
            {
                error = $"unknown command '{command}'";
                return false;
            }
        }

        for (; position < args.Length; position++)
        {
            switch (args[position])
            {
                case "--config" or "-c" when position + 1 < args.Length:
                    configPath = args[++position];
                    break;
                case "--help" or "-h":
                    command = "help";
                    return true;
                default:
                    error = $"unknown or incomplete option '{args[position]}'";
                    return false;
            }
        }

        if (command == "validate" && configPath is null)
        {
            error = "validate needs --config FILE";
            return false;
        }

        return true;
    }

    private static int Validate(string configPath)
    {
        var result = GatewayConfigLoader.Load(configPath);
        ConfigDiagnosticsPrinter.Print(result.Success ? Console.Out : Console.Error, result);
        if (result.Success)
        {
            var cameras = result.Config!.Schools.Sum(s => s.Cameras.Count);
            Console.WriteLine($"{configPath}: valid ({result.Config.Schools.Count} schools, {cameras} cameras)");
        }

        return result.Success ? ExitOk : ExitInvalidConfig;
    }

    private static async Task<int> ServeAsync(string? configPath)
    {
        using var loggerFactory = CreateLoggerFactory();
        var logger = loggerFactory.CreateLogger("StreamGateway");
        await using var demo = configPath is null ? new DemoCameras() : null;
        ConfigLoadResult loaded;
        if (demo is not null)
        {
            await demo.StartAsync(loggerFactory, CancellationToken.None).ConfigureAwait(false);
            loaded = GatewayConfigLoader.Load(demo.BuildConfiguration(), "built-in demo");
        }
        else
        {
            loaded = GatewayConfigLoader.Load(configPath!);
        }

        if (!loaded.Success)
        {
            ConfigDiagnosticsPrinter.Print(Console.Error, loaded);
            return ExitInvalidConfig;
        }

        foreach (var warning in loaded.Warnings)
        {
            HostLog.ConfigWarning(logger, warning.ToString());
        }

        using var shutdown = new CancellationTokenSource();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; shutdown.Cancel(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => { ctx.Cancel = true; shutdown.Cancel(); });

        await using var host = new GatewayHost(loaded.Config!, loggerFactory);
        await host.StartAsync(shutdown.Token).ConfigureAwait(false);
        if (demo is not null)
        {
            foreach (var camera in loaded.Config!.Schools.SelectMany(s => s.Cameras))
            {
                HostLog.DemoCamera(logger, camera.Path, host.LocalUrl(camera.Path));
            }

            Console.WriteLine($"Demo running. Watch it: ffplay -rtsp_transport tcp {host.LocalUrl("demo-school/cam1")}   (Ctrl+C stops)");
        }

        using var watcher = configPath is null ? null : host.WatchConfigFile(configPath);

        try
        {
            await Task.Delay(Timeout.Infinite, shutdown.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        return ExitOk;
    }

    private static async Task<int> CameraFarmAsync(string[] args)
    {
        int? cameras = null;
        int? port = null;
        var clip = DemoCameras.ClipPath;
        var alignedKeyframes = false;
        for (var i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--cameras" when i + 1 < args.Length && int.TryParse(args[i + 1], out var n) && n is >= 1 and <= 10000:
                    cameras = n;
                    i++;
                    break;
                case "--port" when i + 1 < args.Length && int.TryParse(args[i + 1], out var p) && p is >= 0 and <= 65535:
                    port = p;
                    i++;
                    break;
                case "--bitrate-clip" when i + 1 < args.Length:
                    clip = args[++i];
                    break;
                case "--aligned-keyframes":
                    alignedKeyframes = true;
                    break;
                default:
                    await Console.Error.WriteLineAsync($"camera-farm: unknown or invalid option '{args[i]}'{Environment.NewLine}{Environment.NewLine}{Usage}").ConfigureAwait(false);
                    return ExitUsage;
            }
        }

        if (cameras is null || port is null)
        {
            await Console.Error.WriteLineAsync($"camera-farm needs --cameras N (1..10000) and --port P{Environment.NewLine}{Environment.NewLine}{Usage}").ConfigureAwait(false);
            return ExitUsage;
        }

        using var loggerFactory = LoggerFactory.Create(builder => builder
            .AddSimpleConsole(o => o.SingleLine = true)
            .SetMinimumLevel(LogLevel.Warning));
        using var shutdown = new CancellationTokenSource();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; shutdown.Cancel(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => { ctx.Cancel = true; shutdown.Cancel(); });
        var farm = await CameraFarm.CreateAsync(clip, cameras.Value, 25, alignedKeyframes, loggerFactory).ConfigureAwait(false);
        await using (farm.ConfigureAwait(false))
        {
            await farm.StartAsync(port.Value, shutdown.Token).ConfigureAwait(false);
            Console.WriteLine($"READY {farm.LocalEndPoint.Port}");
            try
            {
                await Task.Delay(Timeout.Infinite, shutdown.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        return ExitOk;
    }

    /// <summary><c>audit verify</c> and <c>audit query</c>; writers passed in so tests read the output.</summary>
    internal static int AuditCommand(string[] args, TextWriter output, TextWriter error)
    {
        var sub = args.Length > 1 ? args[1] : null;
        string? path = null;
        string? config = null;
        string? school = null;
        DateTimeOffset? from = null;
        DateTimeOffset? to = null;
        for (var i = 2; i < args.Length; i++)
        {
            var hasValue = i + 1 < args.Length;
            switch (args[i])
            {
                case "--path" when hasValue:
                    path = args[++i];
                    break;
                case "--config" or "-c" when hasValue:
                    config = args[++i];
                    break;
                case "--school" when hasValue && sub == "query":
                    school = args[++i];
                    break;
                case "--from" or "--to" when hasValue && sub == "query":
                    if (!DateTimeOffset.TryParse(args[i + 1], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
                    {
                        error.WriteLine($"audit {sub}: '{args[i + 1]}' is not a time (ISO-8601, e.g. 2026-11-27T14:00:00Z)");
                        return ExitUsage;
                    }

                    if (args[i] == "--from")
                    {
                        from = time;
                    }
                    else
                    {
                        to = time;
                    }

                    i++;
                    break;
                default:
                    if (path is null && !args[i].StartsWith('-'))
                    {
                        path = args[i];
                        break;
                    }

                    error.WriteLine($"audit: unknown or incomplete option '{args[i]}'{Environment.NewLine}{Environment.NewLine}{Usage}");
                    return ExitUsage;
            }
        }

        if (path is null && config is null)
        {
            path = AuditConfig.DefaultPath;
        }

        if (sub is not ("verify" or "query") || (path is not null && config is not null))
        {
            error.WriteLine($"audit needs verify or query, and either a FILE/DIR (--path) or --config FILE{Environment.NewLine}{Environment.NewLine}{Usage}");
            return ExitUsage;
        }

        if (config is not null)
        {
            var loaded = GatewayConfigLoader.Load(config);
            if (!loaded.Success)
            {
                ConfigDiagnosticsPrinter.Print(error, loaded);
                return ExitInvalidConfig;
            }

            path = loaded.Config!.Audit.Path;
        }

        if (!File.Exists(path) && !Directory.Exists(path))
        {
            error.WriteLine($"audit {sub}: '{path}' does not exist");
            return ExitInvalidConfig;
        }

        if (sub == "verify")
        {
            var result = AuditFiles.Verify(path!);
            if (result.IsValid)
            {
                output.WriteLine($"{path}: audit chain intact ({result.ValidLines} lines)");
                return ExitOk;
            }

            error.WriteLine($"{path}: audit chain BROKEN at {result.FirstBrokenLine}: {result.Problem} ({result.ValidLines} lines before it are intact)");
            return ExitInvalidConfig;
        }

        foreach (var record in AuditFiles.Query(path!, school, from, to))
        {
            output.WriteLine(System.Text.Json.JsonSerializer.Serialize(AuditQueryLine.From(record), AuditJsonContext.Default.AuditQueryLine));
        }

        return ExitOk;
    }

    private static ILoggerFactory CreateLoggerFactory() => LoggerFactory.Create(builder =>
    {
        builder.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-dd HH:mm:ss ";
        });
        builder.SetMinimumLevel(LogLevel.Information);
        builder.AddFilter("Microsoft", LogLevel.Warning);
    });
}
