namespace StreamGateway.Archive;

/// <summary>A stretch of the window with no footage, and why where that is known.</summary>
/// <param name="CauseSource">"journal" (the recorder said so) or "inferred" (from the other cameras).</param>
internal sealed record ArchiveGap(DateTimeOffset From, DateTimeOffset To, string Cause, string CauseSource)
{
    public TimeSpan Length => To - From;
}

/// <summary>Gap causes; the journal's own words are kept when it has them.</summary>
internal static class GapCauses
{
    public const string GatewayDown = "gateway-down";
    public const string SchoolOffline = "school-offline";
    public const string CameraOffline = "camera-offline";
    public const string CameraOrSchoolOffline = "camera-or-school-offline";
    public const string DiskFull = "disk-full";
}

/// <summary>
/// Coverage and gaps of footage over a time window. Holes shorter than <see cref="MinGap"/> (the frame
/// slack between consecutive segments) are not gaps.
/// </summary>
internal sealed class Coverage
{
    /// <summary>Shorter holes are segment-boundary slack, not missing footage.</summary>
    public static readonly TimeSpan MinGap = TimeSpan.FromSeconds(2);

    /// <summary>A journal gap-start this far before a gap still names it (clocks and flush delays).</summary>
    public static readonly TimeSpan JournalSlack = TimeSpan.FromSeconds(10);

    private readonly List<(DateTimeOffset From, DateTimeOffset To)> _everyone;
    private readonly Dictionary<string, List<(DateTimeOffset From, DateTimeOffset To)>> _bySchool;
    private readonly Dictionary<string, int> _camerasPerSchool;

    public Coverage(ArchiveIndex index)
    {
        Index = index;
        _everyone = Merge(index.Cameras.SelectMany(c => c.Segments), TimeSpan.Zero);
        _bySchool = index.Cameras.GroupBy(c => c.School).ToDictionary(g => g.Key, g => Merge(g.SelectMany(c => c.Segments), TimeSpan.Zero), StringComparer.Ordinal);
        _camerasPerSchool = index.Cameras.GroupBy(c => c.School).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
    }

    public ArchiveIndex Index { get; }

    /// <summary>Time with footage inside [from, to) and the gaps, each with its cause.</summary>
    public (TimeSpan Covered, IReadOnlyList<ArchiveGap> Gaps) Analyse(CameraArchive camera, DateTimeOffset from, DateTimeOffset to)
    {
        var merged = Merge(camera.Segments.Where(s => s.End > from && s.Start < to), MinGap);
        var covered = TimeSpan.Zero;
        var gaps = new List<ArchiveGap>();
        var cursor = from;
        foreach (var (start, end) in merged)
        {
            var s = Max(start, from);
            var e = Min(end, to);
            if (e <= s)
            {
                continue;
            }

            if (s - cursor >= MinGap)
            {
                gaps.Add(Explain(camera, cursor, s));
            }

            covered += e - s;
            cursor = Max(cursor, e);
        }

        if (to - cursor >= MinGap)
        {
            gaps.Add(Explain(camera, cursor, to));
        }

        return (covered, gaps);
    }

    /// <summary>The gaps of one camera inside [from, to): for exports.</summary>
    public IReadOnlyList<ArchiveGap> Gaps(CameraArchive camera, DateTimeOffset from, DateTimeOffset to) => Analyse(camera, from, to).Gaps;

    private ArchiveGap Explain(CameraArchive camera, DateTimeOffset from, DateTimeOffset to)
    {
        if (camera.Journal.CauseOfGap(from, to, JournalSlack) is { } told)
        {
            return new ArchiveGap(from, to, told, "journal");
        }

        var length = to - from;
        if (Overlap(_everyone, from, to) < length * 0.1)
        {
            return new ArchiveGap(from, to, GapCauses.GatewayDown, "inferred");
        }

        var schoolmates = _camerasPerSchool.GetValueOrDefault(camera.School) > 1;
        if (!schoolmates)
        {
            return new ArchiveGap(from, to, GapCauses.CameraOrSchoolOffline, "inferred");
        }

        var school = _bySchool.GetValueOrDefault(camera.School) ?? [];
        return Overlap(school, from, to) < length * 0.1
            ? new ArchiveGap(from, to, GapCauses.SchoolOffline, "inferred")
            : new ArchiveGap(from, to, GapCauses.CameraOffline, "inferred");
    }

    /// <summary>Sorted, disjoint intervals; neighbours closer than <paramref name="join"/> are joined.</summary>
    internal static List<(DateTimeOffset From, DateTimeOffset To)> Merge(IEnumerable<ArchiveSegment> segments, TimeSpan join)
    {
        var result = new List<(DateTimeOffset From, DateTimeOffset To)>();
        foreach (var segment in segments.OrderBy(s => s.Start))
        {
            if (result.Count > 0 && segment.Start - result[^1].To < join)
            {
                result[^1] = (result[^1].From, Max(result[^1].To, segment.End));
            }
            else
            {
                result.Add((segment.Start, segment.End));
            }
        }

        return result;
    }

    private static TimeSpan Overlap(List<(DateTimeOffset From, DateTimeOffset To)> intervals, DateTimeOffset from, DateTimeOffset to)
    {
        // First interval that may end after 'from' (intervals are sorted and disjoint).
        int lo = 0, hi = intervals.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (intervals[mid].To <= from)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        var total = TimeSpan.Zero;
        for (var i = lo; i < intervals.Count && intervals[i].From < to; i++)
        {
            var s = Max(intervals[i].From, from);
            var e = Min(intervals[i].To, to);
            if (e > s)
            {
                total += e - s;
            }
        }

        return total;
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
