using System.Globalization;

namespace StreamGateway.Archive;

/// <summary>One segment file: its start comes from its path (UTC), its duration from its boxes.</summary>
internal sealed record ArchiveSegment(string School, string Camera, string FilePath, DateTimeOffset Start, TimeSpan Duration, long Bytes, bool Truncated)
{
    public DateTimeOffset End => Start + Duration;
}

/// <summary>Every segment of one camera, oldest first, and its recorder's events journal.</summary>
internal sealed record CameraArchive(string School, string Camera, IReadOnlyList<ArchiveSegment> Segments, RecordingEventsJournal Journal)
{
    public DateTimeOffset? Oldest => Segments.Count == 0 ? null : Segments[0].Start;

    public DateTimeOffset? Newest => Segments.Count == 0 ? null : Segments[^1].End;

    public long Bytes => Segments.Sum(s => s.Bytes);
}

/// <summary>
/// The archive as found on disk under <c>{Path}/{school}/{camera}/{yyyy-MM-dd}/{HH-mm-ss}.mp4</c>.
/// Files that do not match the layout are ignored and counted (never deleted, never reported as
/// footage). A scan is a snapshot: the recorder may add segments while it runs.
/// </summary>
internal sealed class ArchiveIndex
{
    /// <summary>Names of files the recorder keeps beside the segments; not counted as strays.</summary>
    public const string EventsFileName = "recording-events.jsonl";

    /// <summary>A bound on the files one scan looks at (≈ 100 cameras × 60 days × 1440 one-minute segments).</summary>
    public const int MaxFilesPerScan = 10_000_000;

    private readonly Dictionary<(string School, string Camera), CameraArchive> _cameras;

    private ArchiveIndex(string root, Dictionary<(string, string), CameraArchive> cameras, int ignoredFiles, int unreadableSegments)
    {
        Root = root;
        _cameras = cameras;
        IgnoredFiles = ignoredFiles;
        UnreadableSegments = unreadableSegments;
    }

    public string Root { get; }

    /// <summary>Files under the root that are not segments in the layout (nor events journals).</summary>
    public int IgnoredFiles { get; }

    /// <summary>Files named like segments whose boxes could not be read (no moov, or damaged): counted, not footage.</summary>
    public int UnreadableSegments { get; }

    public IReadOnlyCollection<CameraArchive> Cameras => _cameras.Values;

    public CameraArchive? Find(string school, string camera) => _cameras.GetValueOrDefault((school, camera));

    public CameraArchive Get(string school, string camera) =>
        Find(school, camera) ?? new CameraArchive(school, camera, [], RecordingEventsJournal.Empty);

    /// <summary>Builds an index from already measured segments (tests, and callers that cache durations).</summary>
    public static ArchiveIndex FromSegments(string root, IEnumerable<ArchiveSegment> segments, IReadOnlyDictionary<(string, string), RecordingEventsJournal>? journals = null)
    {
        var cameras = segments
            .GroupBy(s => (s.School, s.Camera))
            .ToDictionary(
                g => g.Key,
                g => new CameraArchive(g.Key.School, g.Key.Camera, [.. g.OrderBy(s => s.Start)], journals?.GetValueOrDefault(g.Key) ?? RecordingEventsJournal.Empty));
        foreach (var (key, journal) in journals ?? new Dictionary<(string, string), RecordingEventsJournal>())
        {
            cameras.TryAdd(key, new CameraArchive(key.Item1, key.Item2, [], journal));
        }

        return new ArchiveIndex(root, cameras, 0, 0);
    }

    /// <summary>Scans <paramref name="root"/>; a missing root is an empty archive.</summary>
    public static ArchiveIndex Scan(string root, Func<string, Fmp4Info?>? measure = null)
    {
        measure ??= Fmp4Inspector.TryRead;
        var cameras = new Dictionary<(string, string), CameraArchive>();
        var ignored = 0;
        var unreadable = 0;
        if (!Directory.Exists(root))
        {
            return new ArchiveIndex(root, cameras, 0, 0);
        }

        var seen = 0;
        var options = new EnumerationOptions { RecurseSubdirectories = false, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint };
        ignored += Directory.EnumerateFiles(root, "*", options).Count();
        foreach (var schoolDir in Directory.EnumerateDirectories(root, "*", options))
        {
            var school = Path.GetFileName(schoolDir);
            ignored += Directory.EnumerateFiles(schoolDir, "*", options).Count();
            foreach (var cameraDir in Directory.EnumerateDirectories(schoolDir, "*", options))
            {
                var camera = Path.GetFileName(cameraDir);
                var segments = new List<ArchiveSegment>();
                foreach (var file in Directory.EnumerateFiles(cameraDir, "*", options))
                {
                    if (!Path.GetFileName(file).Equals(EventsFileName, StringComparison.Ordinal))
                    {
                        ignored++;
                    }
                }

                foreach (var dayDir in Directory.EnumerateDirectories(cameraDir, "*", options))
                {
                    if (!DateOnly.TryParseExact(Path.GetFileName(dayDir), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
                    {
                        ignored += Directory.EnumerateFiles(dayDir, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true }).Count();
                        continue;
                    }

                    ignored += Directory.EnumerateDirectories(dayDir, "*", options).Count();
                    foreach (var file in Directory.EnumerateFiles(dayDir, "*", options))
                    {
                        if (++seen > MaxFilesPerScan)
                        {
                            throw new InvalidOperationException($"the archive under {root} holds more than {MaxFilesPerScan} files; refusing to scan further");
                        }

                        if (!TryParseSegmentName(Path.GetFileName(file), day, out var start))
                        {
                            ignored++;
                            continue;
                        }

                        var info = measure(file);
                        if (info is null)
                        {
                            unreadable++;
                            continue;
                        }

                        segments.Add(new ArchiveSegment(school, camera, file, start, info.Duration, new FileInfo(file).Length, info.Truncated));
                    }
                }

                segments.Sort((a, b) => a.Start.CompareTo(b.Start));
                var journal = RecordingEventsJournal.Load(Path.Combine(cameraDir, EventsFileName));
                if (segments.Count > 0 || journal.Events.Count > 0)
                {
                    cameras[(school, camera)] = new CameraArchive(school, camera, segments, journal);
                }
            }
        }

        return new ArchiveIndex(root, cameras, ignored, unreadable);
    }

    /// <summary>The start a layout name carries: <c>HH-mm-ss.mp4</c> inside a <c>yyyy-MM-dd</c> folder, UTC.</summary>
    public static bool TryParseSegmentName(string fileName, DateOnly day, out DateTimeOffset start)
    {
        start = default;
        if (fileName.Length != 12 || !fileName.EndsWith(".mp4", StringComparison.Ordinal)
            || !TimeOnly.TryParseExact(fileName.AsSpan(0, 8), "HH-mm-ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
        {
            return false;
        }

        start = new DateTimeOffset(day.ToDateTime(time), TimeSpan.Zero);
        return true;
    }

    /// <summary>The layout path of a segment starting at <paramref name="start"/> (UTC).</summary>
    public static string SegmentPath(string root, string school, string camera, DateTimeOffset start)
    {
        var utc = start.UtcDateTime;
        return Path.Combine(root, school, camera, utc.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), utc.ToString("HH-mm-ss", CultureInfo.InvariantCulture) + ".mp4");
    }
}
