using Microsoft.Extensions.Logging;
using StreamGateway.Configuration;

namespace StreamGateway.Archive;

/// <summary>Plain retention values (the recorder's config record maps onto this).</summary>
/// <param name="RetentionDays">The floor: no segment whose footage is younger is ever deleted.</param>
/// <param name="MaxDays">Optional: segments whose footage is all older are deleted. Below the floor, the floor wins.</param>
/// <param name="PauseLowestPriorityWhenShort">Operator opt-in: name cameras to pause when the floor does not fit.</param>
internal sealed record RetentionSettings(string Path, int RetentionDays = 30, int? MaxDays = null, bool PauseLowestPriorityWhenShort = false)
{
    /// <summary>The retention settings of the validated <c>Gateway:Recording</c> keys (path made absolute).</summary>
    public static RetentionSettings From(RecordingSettings recording) =>
        new(System.IO.Path.GetFullPath(recording.Path), recording.RetentionDays, recording.MaxDays);

    public static readonly TimeSpan DefaultInterval = TimeSpan.FromHours(1);
}

/// <summary>What one retention pass decided and saw; the host's status shows the latest.</summary>
internal sealed record RetentionStatus(
    DateTimeOffset At,
    int DeletedSegments,
    long DeletedBytes,
    int KeptSegments,
    DateTimeOffset? Oldest,
    StorageForecast Forecast,
    IReadOnlyList<(string School, string Camera)> CamerasToPause,
    string? Error)
{
    public bool FloorAtRisk => !Forecast.FloorFits;
}

/// <summary>
/// Deletes whole segments older than MaxDays, never one inside the RetentionDays floor (a full disk
/// included: then it warns, event 1601, instead). Runs at start and then every interval on the injected
/// clock. Ages come from segment names, so tests drive it with a fake clock and a synthetic archive.
/// </summary>
internal sealed class RetentionService
{
    private readonly RetentionSettings _settings;
    private readonly TimeProvider _time;
    private readonly IVolumeMeter _volume;
    private readonly ILogger _logger;
    private readonly Func<string, string, int> _priority;
    private readonly Func<string, Fmp4Info?>? _measure;
    private volatile RetentionStatus? _latest;

    public RetentionService(RetentionSettings settings, TimeProvider time, IVolumeMeter volume, ILogger logger, Func<string, string, int>? priority = null, Func<string, Fmp4Info?>? measure = null)
    {
        _measure = measure;
        _settings = settings;
        _time = time;
        _volume = volume;
        _logger = logger;
        _priority = priority ?? ((_, _) => 0);
    }

    /// <summary>The last pass's result (null before the first).</summary>
    public RetentionStatus? Latest => _latest;

    /// <summary>Raised after every pass (tests await it instead of sleeping).</summary>
    public event Action<RetentionStatus>? PassCompleted;

    /// <summary>Segments a pass would delete: footage entirely older than max(MaxDays, RetentionDays).</summary>
    public static IReadOnlyList<ArchiveSegment> Plan(ArchiveIndex index, DateTimeOffset now, int retentionDays, int? maxDays)
    {
        if (maxDays is not { } max)
        {
            return [];
        }

        var floor = now - TimeSpan.FromDays(retentionDays);
        var cutoff = now - TimeSpan.FromDays(Math.Max(max, retentionDays));
        return [.. index.Cameras.SelectMany(c => c.Segments).Where(s => s.End <= cutoff && s.End <= floor)];
    }

    /// <summary>One pass: scan, delete what is past MaxDays, measure, forecast, warn.</summary>
    public RetentionStatus RunOnce()
    {
        var now = _time.GetUtcNow();
        RetentionStatus status;
        try
        {
            var index = ArchiveIndex.Scan(_settings.Path, _measure);
            var deleted = 0;
            long deletedBytes = 0;
            var floor = now - TimeSpan.FromDays(_settings.RetentionDays);
            foreach (var segment in Plan(index, now, _settings.RetentionDays, _settings.MaxDays))
            {
                if (segment.End > floor)
                {
                    continue; // belt and braces: Plan never returns these
                }

                try
                {
                    File.Delete(segment.FilePath);
                    deleted++;
                    deletedBytes += segment.Bytes;
                    TryRemoveEmptyDirectory(Path.GetDirectoryName(segment.FilePath));
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    ArchiveLog.DeleteFailed(_logger, segment.FilePath, ex.Message);
                }
            }

            if (deleted > 0)
            {
                index = ArchiveIndex.Scan(_settings.Path, _measure);
            }

            var forecast = StorageForecast.Compute(index, _volume.Measure(_settings.Path), now, _settings.RetentionDays);
            var oldest = index.Cameras.Select(c => c.Oldest).Where(o => o is not null).Min();
            if (deleted > 0)
            {
                ArchiveLog.RetentionDeleted(_logger, deleted, deletedBytes, _settings.MaxDays ?? 0, oldest);
            }

            ArchiveLog.RetentionSummary(
                _logger,
                index.Cameras.Sum(c => c.Segments.Count),
                oldest is { } o ? (now - o).TotalDays : 0,
                forecast.DaysFit is { } d ? d.ToString("F1", System.Globalization.CultureInfo.InvariantCulture) : "unknown",
                forecast.Volume.Name);
            IReadOnlyList<(string, string)> pause = [];
            if (!forecast.FloorFits)
            {
                ArchiveLog.FloorAtRisk(_logger, forecast.Volume.Name, forecast.DaysFit ?? 0, (long)forecast.BytesPerDay, forecast.Volume.AvailableBytes, _settings.RetentionDays);
                if (_settings.PauseLowestPriorityWhenShort)
                {
                    pause = forecast.CamerasToPause(_priority);
                    ArchiveLog.PausingCameras(_logger, string.Join(", ", pause.Select(p => $"{p.Item1}/{p.Item2}")));
                }
            }

            status = new RetentionStatus(now, deleted, deletedBytes, index.Cameras.Sum(c => c.Segments.Count), oldest, forecast, pause, null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            ArchiveLog.RetentionFailed(_logger, ex.Message);
            var previous = _latest;
            status = previous is null
                ? new RetentionStatus(now, 0, 0, 0, null, new StorageForecast(new VolumeMeasure("?", 0, 0), 0, 0, null, _settings.RetentionDays, [], []), [], ex.Message)
                : previous with { At = now, DeletedSegments = 0, DeletedBytes = 0, Error = ex.Message };
        }

        _latest = status;
        PassCompleted?.Invoke(status);
        return status;
    }

    /// <summary>A pass now, then one every <paramref name="interval"/> (default hourly) until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken, TimeSpan? interval = null)
    {
        using var timer = new PeriodicTimer(interval ?? RetentionSettings.DefaultInterval, _time);
        do
        {
            // Disk work off the caller's thread: a large archive scan must not hold up the host.
            await Task.Run(RunOnce, cancellationToken).ConfigureAwait(false);
        }
        while (await WaitAsync(timer, cancellationToken).ConfigureAwait(false));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static void TryRemoveEmptyDirectory(string? directory)
    {
        try
        {
            if (directory is not null && Directory.Exists(directory) && !Directory.EnumerateFileSystemEntries(directory).Any())
            {
                Directory.Delete(directory);
            }
        }
        catch (IOException)
        {
            // The recorder may just have written into it: keep it.
        }
    }
}
