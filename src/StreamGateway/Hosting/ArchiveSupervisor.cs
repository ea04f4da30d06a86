using Microsoft.Extensions.Logging;
using StreamGateway.Archive;
using StreamGateway.Cli;
using StreamGateway.Configuration;

namespace StreamGateway.Hosting;

/// <summary>
/// Runs the archive's retention pass (hourly, and at start) for the recording settings in force, and serves the
/// compliance report for the status API. A reload that changes <c>Gateway:Recording</c>'s path or days restarts
/// the retention loop with the new values; nothing else is touched.
/// </summary>
internal sealed class ArchiveSupervisor : IAsyncDisposable
{
    /// <summary>When the second pass runs: a few closed segments per camera (at the default 60 s) by then.</summary>
    public static readonly TimeSpan FirstForecastAfter = TimeSpan.FromMinutes(5);

    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<GatewayConfig> _config;
    private RetentionSettings? _settings;
    private CancellationTokenSource? _stop;
    private Task _loop = Task.CompletedTask;
    private volatile RetentionService? _retention;

    public ArchiveSupervisor(Func<GatewayConfig> config, ILoggerFactory loggerFactory, TimeProvider time)
    {
        _config = config;
        _time = time;
        _logger = loggerFactory.CreateLogger<RetentionService>();
        Compliance = new ComplianceSource(() => ArchiveCommands.SchoolsOf(_config()), () => RetentionSettings.From(_config().Recording), DriveVolumeMeter.Instance, time);
    }

    /// <summary>The retention service in force; its last pass feeds <c>/api/v1/archive</c> and the archive metrics.</summary>
    public RetentionService? Retention => _retention;

    /// <summary>The compliance report of the current config's schools and archive.</summary>
    public ComplianceSource Compliance { get; }

    /// <summary>Starts (or restarts, when the archive settings changed) the retention loop. Called under the host's apply gate.</summary>
    public async Task ApplyAsync(RecordingSettings recording)
    {
        var settings = RetentionSettings.From(recording);
        if (settings == _settings)
        {
            return;
        }

        await StopLoopAsync().ConfigureAwait(false);
        _settings = settings;
        var retention = new RetentionService(settings, _time, DriveVolumeMeter.Instance, _logger);
        _retention = retention;
        _stop = new CancellationTokenSource();
        _loop = RunAsync(retention, _stop.Token);
    }

    public async ValueTask DisposeAsync() => await StopLoopAsync().ConfigureAwait(false);

    /// <summary>
    /// A pass at start, one when the first minutes of recording give rates to forecast from (a volume too small for
    /// the floor is then reported within minutes, not after an hour), then hourly.
    /// </summary>
    private async Task RunAsync(RetentionService retention, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Run(retention.RunOnce, cancellationToken).ConfigureAwait(false);
            await Task.Delay(FirstForecastAfter, _time, cancellationToken).ConfigureAwait(false);
            await retention.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task StopLoopAsync()
    {
        if (_stop is null)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
        _stop = null;
    }
}
