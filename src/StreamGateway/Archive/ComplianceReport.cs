namespace StreamGateway.Archive;

/// <summary>The police audit's three classes.</summary>
internal static class ComplianceClass
{
    /// <summary>Depth ≥ required days and coverage ≥ the threshold over the window.</summary>
    public const string Compliant = "compliant";

    /// <summary>Some footage, but too shallow or with too many holes.</summary>
    public const string Short = "short";

    /// <summary>No footage at all.</summary>
    public const string None = "none";
}

internal sealed record GapReport(DateTimeOffset From, DateTimeOffset To, double Seconds, string Cause, string CauseSource);

internal sealed record CameraCompliance(
    string School,
    string Camera,
    int RequiredDays,
    DateTimeOffset? OldestSegment,
    double DepthDays,
    double CoveragePercent,
    IReadOnlyList<GapReport> Gaps,
    double? ForecastDays,
    double BytesPerSecond,
    int Segments,
    long Bytes,
    int TruncatedSegments,
    int MalformedJournalLines,
    string Class);

internal sealed record SchoolCompliance(string School, string? Name, string District, string Class, IReadOnlyList<CameraCompliance> Cameras);

/// <summary>Schools per class, for one district or the whole region.</summary>
internal sealed record ClassSummary(string Name, int Schools, int Compliant, int Short, int None);

internal sealed record VolumeReport(string Name, long TotalBytes, long AvailableBytes, long ArchiveBytes, double BytesPerDay, double? ForecastDays, bool FloorFits);

/// <summary>The compliance report: one JSON shape for the CLI's --format json and GET /api/v1/compliance.</summary>
internal sealed record ComplianceReport(
    DateTimeOffset GeneratedAt,
    DateTimeOffset WindowFrom,
    DateTimeOffset WindowTo,
    int WindowDays,
    int RequiredDays,
    double CoverageThresholdPercent,
    string ArchivePath,
    VolumeReport Volume,
    bool FloorAtRisk,
    ClassSummary Region,
    IReadOnlyList<ClassSummary> Districts,
    IReadOnlyList<SchoolCompliance> Schools,
    int IgnoredFiles,
    int UnreadableSegments);

/// <summary>A school as the report needs it from the config.</summary>
internal sealed record ReportSchool(string Id, string? Name, string? District, IReadOnlyList<string> Cameras);

/// <summary>Builds the report from an archive scan, the configured schools and a volume measure.</summary>
internal static class ComplianceReportBuilder
{
    /// <summary>Coverage at or above this (percent of the window with video) with enough depth is compliant.</summary>
    public const double DefaultCoverageThreshold = 95.0;

    public const string NoDistrict = "(no district)";

    public static ComplianceReport Build(
        ArchiveIndex index,
        IReadOnlyList<ReportSchool> schools,
        VolumeMeasure volume,
        DateTimeOffset now,
        int requiredDays,
        int windowDays,
        double coverageThreshold = DefaultCoverageThreshold)
    {
        var from = now - TimeSpan.FromDays(windowDays);
        var coverage = new Coverage(index);
        var forecast = StorageForecast.Compute(index, volume, now, requiredDays);
        var rates = forecast.Cameras.ToDictionary(r => (r.School, r.Camera), r => r.BytesPerSecond);

        // Every configured camera, plus any footage of cameras no longer in the config.
        var all = schools.ToDictionary(s => s.Id, s => (s.Name, s.District, Cameras: s.Cameras.ToList()), StringComparer.Ordinal);
        foreach (var camera in index.Cameras)
        {
            if (!all.TryGetValue(camera.School, out var school))
            {
                school = (null, null, []);
                all[camera.School] = school;
            }

            if (!school.Cameras.Contains(camera.Camera, StringComparer.Ordinal))
            {
                school.Cameras.Add(camera.Camera);
            }
        }

        var schoolReports = new List<SchoolCompliance>();
        foreach (var (id, school) in all.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            var cameras = new List<CameraCompliance>();
            foreach (var cameraId in school.Cameras.Order(StringComparer.Ordinal))
            {
                var archive = index.Get(id, cameraId);
                var (covered, gaps) = coverage.Analyse(archive, from, now);
                var percent = 100.0 * covered.TotalSeconds / (now - from).TotalSeconds;
                var depth = archive.Oldest is { } oldest ? Math.Max(0, (now - oldest).TotalDays) : 0;
                var cls = archive.Segments.Count == 0 || covered <= TimeSpan.Zero
                    ? ComplianceClass.None
                    : depth >= requiredDays && percent >= coverageThreshold ? ComplianceClass.Compliant : ComplianceClass.Short;
                cameras.Add(new CameraCompliance(
                    id,
                    cameraId,
                    requiredDays,
                    archive.Oldest,
                    Math.Round(depth, 3),
                    Math.Round(percent, 3),
                    [.. gaps.Select(g => new GapReport(g.From, g.To, Math.Round(g.Length.TotalSeconds, 1), g.Cause, g.CauseSource))],
                    forecast.DaysFit is { } d ? Math.Round(d, 1) : null,
                    Math.Round(rates.GetValueOrDefault((id, cameraId)), 1),
                    archive.Segments.Count,
                    archive.Bytes,
                    archive.Segments.Count(s => s.Truncated),
                    archive.Journal.MalformedLines,
                    cls));
            }

            var schoolClass = cameras.Count == 0 || cameras.All(c => c.Class == ComplianceClass.None)
                ? ComplianceClass.None
                : cameras.All(c => c.Class == ComplianceClass.Compliant) ? ComplianceClass.Compliant : ComplianceClass.Short;
            schoolReports.Add(new SchoolCompliance(id, school.Name, string.IsNullOrWhiteSpace(school.District) ? NoDistrict : school.District!, schoolClass, cameras));
        }

        var districts = schoolReports.GroupBy(s => s.District).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => Summarize(g.Key, g)).ToList();
        return new ComplianceReport(
            now,
            from,
            now,
            windowDays,
            requiredDays,
            coverageThreshold,
            index.Root,
            new VolumeReport(volume.Name, volume.TotalBytes, volume.AvailableBytes, forecast.ArchiveBytes, Math.Round(forecast.BytesPerDay), forecast.DaysFit is { } f ? Math.Round(f, 1) : null, forecast.FloorFits),
            !forecast.FloorFits,
            Summarize("region", schoolReports),
            districts,
            schoolReports,
            index.IgnoredFiles,
            index.UnreadableSegments);
    }

    private static ClassSummary Summarize(string name, IEnumerable<SchoolCompliance> schools)
    {
        var list = schools.ToList();
        return new ClassSummary(
            name,
            list.Count,
            list.Count(s => s.Class == ComplianceClass.Compliant),
            list.Count(s => s.Class == ComplianceClass.Short),
            list.Count(s => s.Class == ComplianceClass.None));
    }
}
