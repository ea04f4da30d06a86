using StreamGateway.Archive;

namespace StreamGateway.Tests.Archive;

/// <summary>Archives described in code: segments with fake times and sizes, no files.</summary>
internal static class ArchiveData
{
    public static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Back-to-back segments of <paramref name="length"/> covering [from, to), minus <paramref name="holes"/>.</summary>
    public static IEnumerable<ArchiveSegment> Continuous(string school, string camera, DateTimeOffset from, DateTimeOffset to, TimeSpan length, long bytesPerSegment = 1_000_000, params (DateTimeOffset From, DateTimeOffset To)[] holes)
    {
        for (var t = from; t < to; t += length)
        {
            var start = t;
            if (holes.Any(h => start < h.To && start + length > h.From))
            {
                continue;
            }

            yield return new ArchiveSegment(school, camera, $"/archive/{school}/{camera}/{start:yyyy-MM-dd}/{start:HH-mm-ss}.mp4", start, length, bytesPerSegment, false);
        }
    }

    public static ArchiveIndex Index(params IEnumerable<ArchiveSegment>[] cameras) => ArchiveIndex.FromSegments("/archive", cameras.SelectMany(c => c));
}
