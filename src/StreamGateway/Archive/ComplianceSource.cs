namespace StreamGateway.Archive;

/// <summary>
/// Serves the compliance report to the HTTP status server: scans the archive at most once per
/// <see cref="CacheFor"/> (a scan reads every segment's boxes), so polling the endpoint stays cheap.
/// The host builds one from its config: schools from GatewayConfig, path and floor from the recording settings.
/// </summary>
internal sealed class ComplianceSource
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromMinutes(1);

    private readonly Func<IReadOnlyList<ReportSchool>> _schools;
    private readonly Func<RetentionSettings> _settings;
    private readonly IVolumeMeter _volume;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private (ComplianceReport Report, int? Days, DateTimeOffset At)? _cached;

    public ComplianceSource(Func<IReadOnlyList<ReportSchool>> schools, Func<RetentionSettings> settings, IVolumeMeter? volume = null, TimeProvider? time = null)
    {
        _schools = schools;
        _settings = settings;
        _volume = volume ?? DriveVolumeMeter.Instance;
        _time = time ?? TimeProvider.System;
    }

    public async Task<ComplianceReport> GetAsync(int? windowDays, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = _time.GetUtcNow();
            if (_cached is { } c && c.Days == windowDays && now - c.At < CacheFor)
            {
                return c.Report;
            }

            var settings = _settings();
            var report = await Task.Run(
                () => ComplianceReportBuilder.Build(ArchiveIndex.Scan(settings.Path), _schools(), _volume.Measure(settings.Path), now, settings.RetentionDays, windowDays ?? settings.RetentionDays),
                cancellationToken).ConfigureAwait(false);
            _cached = (report, windowDays, now);
            return report;
        }
        finally
        {
            _gate.Release();
        }
    }
}
