namespace StreamGateway.Archive;

/// <summary>Size and free space of the filesystem holding the archive.</summary>
internal sealed record VolumeMeasure(string Name, long TotalBytes, long AvailableBytes);

/// <summary>Measures the volume under a path (a seam so tests can fake a small or full disk).</summary>
internal interface IVolumeMeter
{
    VolumeMeasure Measure(string path);
}

/// <summary>The real filesystem: statvfs of the path (through DriveInfo), named by its mount point.</summary>
internal sealed class DriveVolumeMeter : IVolumeMeter
{
    public static readonly DriveVolumeMeter Instance = new();

    public VolumeMeasure Measure(string path)
    {
        var full = Path.GetFullPath(path);
        while (!Directory.Exists(full) && Path.GetDirectoryName(full) is { } parent)
        {
            full = parent;
        }

        var mount = DriveInfo.GetDrives()
            .Select(d => d.Name)
            .Where(name => full.StartsWith(name, StringComparison.Ordinal))
            .OrderByDescending(name => name.Length)
            .FirstOrDefault() ?? full;
        var drive = new DriveInfo(full);
        return new VolumeMeasure(mount, drive.TotalSize, drive.AvailableFreeSpace);
    }
}

/// <summary>A fixed answer, for tests and for an operator quota.</summary>
internal sealed class FixedVolumeMeter(VolumeMeasure measure) : IVolumeMeter
{
    public VolumeMeasure Measure(string path) => measure;
}

/// <summary>One camera's measured rate: bytes of its recent segments over their duration.</summary>
internal sealed record CameraRate(string School, string Camera, double BytesPerSecond, TimeSpan MeasuredOver);

/// <summary>One school's share of the volume.</summary>
internal sealed record SchoolForecast(string School, double BytesPerDay, long ArchiveBytes, double? DaysFit);

/// <summary>
/// How many days of footage the volume holds at the current rates: (archive bytes already on it + free
/// bytes) / bytes written per day by every camera. <see cref="FloorFits"/> is false when that is less
/// than the retention floor: then the gateway must say so, since it will not delete inside the floor.
/// </summary>
internal sealed record StorageForecast(
    VolumeMeasure Volume,
    long ArchiveBytes,
    double BytesPerDay,
    double? DaysFit,
    int RetentionDays,
    IReadOnlyList<SchoolForecast> Schools,
    IReadOnlyList<CameraRate> Cameras)
{
    /// <summary>Rates are measured over the segments that started in this last stretch.</summary>
    public static readonly TimeSpan DefaultRateWindow = TimeSpan.FromHours(6);

    /// <summary>Unknown (no rate yet) counts as fitting: nothing is written.</summary>
    public bool FloorFits => DaysFit is not { } days || days >= RetentionDays;

    public static StorageForecast Compute(ArchiveIndex index, VolumeMeasure volume, DateTimeOffset now, int retentionDays, TimeSpan? rateWindow = null)
    {
        var window = rateWindow ?? DefaultRateWindow;
        var rates = new List<CameraRate>();
        foreach (var camera in index.Cameras.OrderBy(c => c.School, StringComparer.Ordinal).ThenBy(c => c.Camera, StringComparer.Ordinal))
        {
            var recent = camera.Segments.Where(s => s.Start >= now - window && s.Start <= now).ToList();
            var seconds = recent.Sum(s => s.Duration.TotalSeconds);
            rates.Add(new CameraRate(camera.School, camera.Camera, seconds > 0 ? recent.Sum(s => s.Bytes) / seconds : 0, TimeSpan.FromSeconds(seconds)));
        }

        var archiveBytes = index.Cameras.Sum(c => c.Bytes);
        var perDay = rates.Sum(r => r.BytesPerSecond) * 86_400;
        var daysFit = DaysAt(archiveBytes + volume.AvailableBytes, perDay);
        var schools = rates
            .GroupBy(r => r.School)
            .Select(g => new SchoolForecast(
                g.Key,
                g.Sum(r => r.BytesPerSecond) * 86_400,
                index.Cameras.Where(c => c.School == g.Key).Sum(c => c.Bytes),
                daysFit))
            .ToList();
        return new StorageForecast(volume, archiveBytes, perDay, daysFit, retentionDays, schools, rates);
    }

    /// <summary>Days that <paramref name="bytes"/> last at <paramref name="bytesPerDay"/>; null without a rate.</summary>
    public static double? DaysAt(double bytes, double bytesPerDay) => bytesPerDay > 0 ? bytes / bytesPerDay : null;

    /// <summary>
    /// The cameras to stop recording so that the rest fit the floor: lowest priority first (then the
    /// heaviest), only as many as needed. Empty when the floor fits. A decision only: the recorder acts on it
    /// when the operator configured so.
    /// </summary>
    public IReadOnlyList<(string School, string Camera)> CamerasToPause(Func<string, string, int> priority)
    {
        if (FloorFits)
        {
            return [];
        }

        var capacity = ArchiveBytes + Volume.AvailableBytes;
        var perDay = BytesPerDay;
        var paused = new List<(string, string)>();
        foreach (var rate in Cameras.Where(r => r.BytesPerSecond > 0)
                     .OrderBy(r => priority(r.School, r.Camera))
                     .ThenByDescending(r => r.BytesPerSecond)
                     .ThenBy(r => r.School, StringComparer.Ordinal)
                     .ThenBy(r => r.Camera, StringComparer.Ordinal))
        {
            if (perDay * RetentionDays <= capacity)
            {
                break;
            }

            paused.Add((rate.School, rate.Camera));
            perDay -= rate.BytesPerSecond * 86_400;
        }

        return paused;
    }
}
