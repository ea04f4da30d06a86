using StreamGateway.Archive;
using static StreamGateway.Tests.Archive.ArchiveData;

namespace StreamGateway.Tests.Archive;

public sealed class CoverageTests
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);
    private static readonly DateTimeOffset From = Now.AddHours(-10);

    // Holes (minutes after From, length in minutes) in a 10-hour window of one-minute segments.
    [Theory]
    [InlineData(new int[0], 100.0)]
    [InlineData(new[] { 60, 30 }, 95.0)]
    [InlineData(new[] { 0, 60 }, 90.0)]
    [InlineData(new[] { 540, 60 }, 90.0)]
    [InlineData(new[] { 100, 10, 200, 20, 300, 30 }, 90.0)]
    public void Coverage_is_the_share_of_the_window_with_video_and_every_hole_is_a_gap(int[] holes, double percent)
    {
        var pairs = holes.Chunk(2).Select(h => (From.AddMinutes(h[0]), From.AddMinutes(h[0] + h[1]))).ToArray();
        var index = Index(
            Continuous("s1", "a", From, Now, Minute, holes: pairs),
            Continuous("s1", "b", From, Now, Minute),
            Continuous("s2", "c", From, Now, Minute));

        var (covered, gaps) = new Coverage(index).Analyse(index.Get("s1", "a"), From, Now);

        Assert.Equal(percent, 100 * covered.TotalSeconds / (Now - From).TotalSeconds, 3);
        Assert.Equal(pairs.Select(p => (p.Item1, p.Item2)), gaps.Select(g => (g.From, g.To)));
    }

    [Fact]
    public void Slack_between_consecutive_segments_is_not_a_gap()
    {
        // 59.96 s of video per 60 s segment: the last frame's duration is lost at every boundary.
        var segments = Continuous("s", "c", From, Now, Minute).Select(s => s with { Duration = TimeSpan.FromSeconds(59.96) });
        var index = Index(segments);

        var (covered, gaps) = new Coverage(index).Analyse(index.Get("s", "c"), From, Now);

        Assert.Empty(gaps);
        Assert.True(covered >= (Now - From) * 0.999, $"covered {covered}");
    }

    public static TheoryData<string, string, string> Causes => new()
    {
        // Which cameras also miss the hour: nobody, the school's other camera, everyone.
        { "only this camera", "camera-offline", "inferred" },
        { "the whole school", "school-offline", "inferred" },
        { "every camera", "gateway-down", "inferred" },
        { "journal says disk-full", "disk-full", "journal" },
        { "journal gap-end says gateway-stopped", "gateway-stopped", "journal" },
    };

    [Theory]
    [MemberData(nameof(Causes))]
    public void A_gap_is_explained_by_the_journal_or_else_by_who_else_was_missing(string who, string cause, string source)
    {
        var hole = (From.AddHours(2), From.AddHours(3));
        var index = ArchiveIndex.FromSegments(
            "/archive",
            [
                .. Continuous("s1", "a", From, Now, Minute, holes: hole),
                .. Continuous("s1", "b", From, Now, Minute, holes: who is "the whole school" or "every camera" ? [hole] : []),
                .. Continuous("s2", "c", From, Now, Minute, holes: who is "every camera" ? [hole] : []),
            ],
            who switch
            {
                "journal says disk-full" => new Dictionary<(string, string), RecordingEventsJournal>
                {
                    [("s1", "a")] = new([new RecordingEvent(From.AddHours(2).AddSeconds(-3), "gap-start", "disk-full"), new RecordingEvent(From.AddHours(3), "gap-end", null)], 0),
                },
                // After kill -9 only the restarted recorder can write: a gap-end naming the cause.
                "journal gap-end says gateway-stopped" => new Dictionary<(string, string), RecordingEventsJournal>
                {
                    [("s1", "a")] = new([new RecordingEvent(From.AddHours(3).AddSeconds(1), "gap-end", "gateway-stopped")], 0),
                },
                _ => null,
            });

        var gap = Assert.Single(new Coverage(index).Gaps(index.Get("s1", "a"), From, Now));

        Assert.Equal(cause, gap.Cause);
        Assert.Equal(source, gap.CauseSource);
        Assert.Equal(TimeSpan.FromHours(1), gap.Length);
    }
}
