using StreamGateway.Archive;

namespace StreamGateway.Tests.Archive;

public sealed class ArchiveIndexTests(SyntheticSegments segments) : IClassFixture<SyntheticSegments>, IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 16, 5, 0, TimeSpan.Zero);
    private readonly string _root = Directory.CreateTempSubdirectory("sg-index-").FullName;

    [Fact]
    public void Finds_segments_in_the_layout_with_start_from_the_path_and_end_from_the_boxes()
    {
        segments.Place(_root, "school-12", "entrance", T0);
        segments.Place(_root, "school-12", "entrance", T0.AddSeconds(5));
        segments.Place(_root, "school-12", "yard", T0.AddDays(1));

        var index = ArchiveIndex.Scan(_root);

        var entrance = index.Get("school-12", "entrance");
        Assert.Equal([T0, T0.AddSeconds(5)], entrance.Segments.Select(s => s.Start));
        Assert.Equal(T0.AddSeconds(10), entrance.Newest!.Value, TimeSpan.FromMilliseconds(50));
        Assert.Equal(new FileInfo(segments.SegmentFile).Length * 2, entrance.Bytes);
        Assert.Single(index.Get("school-12", "yard").Segments);
        Assert.Equal(0, index.IgnoredFiles);
        Assert.Equal(Path.Combine(_root, "school-12", "entrance", "2026-11-27", "16-05-00.mp4"), entrance.Segments[0].FilePath);
    }

    [Theory]
    [InlineData("notes.txt")]
    [InlineData("school-12/readme.md")]
    [InlineData("school-12/entrance/2026-11-27/16-05-00.mp4.tmp")]
    [InlineData("school-12/entrance/2026-11-27/16-5-00.mp4")]
    [InlineData("school-12/entrance/2026-11-27/25-00-00.mp4")]
    [InlineData("school-12/entrance/27-11-2026/16-05-00.mp4")]
    [InlineData("school-12/entrance/2026-11-27/extra/16-05-00.mp4")]
    [InlineData("school-12/entrance/stray.mp4")]
    public void A_file_outside_the_layout_is_ignored_and_counted(string relative)
    {
        segments.Place(_root, "school-12", "entrance", T0);
        var stray = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(stray)!);
        File.Copy(segments.SegmentFile, stray, overwrite: true);

        var index = ArchiveIndex.Scan(_root);

        Assert.Equal(1, index.IgnoredFiles);
        Assert.Single(index.Get("school-12", "entrance").Segments);
    }

    [Fact]
    public void A_segment_named_right_but_not_an_mp4_is_counted_as_unreadable_not_footage()
    {
        var path = ArchiveIndex.SegmentPath(_root, "s", "c", T0);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "not a video");

        var index = ArchiveIndex.Scan(_root);

        Assert.Equal(1, index.UnreadableSegments);
        Assert.Empty(index.Get("s", "c").Segments);
    }

    [Fact]
    public void A_missing_archive_is_empty()
    {
        var index = ArchiveIndex.Scan(Path.Combine(_root, "nothing-here"));

        Assert.Empty(index.Cameras);
    }

    [Theory]
    [InlineData("16-05-00.mp4", true, 16, 5, 0)]
    [InlineData("00-00-00.mp4", true, 0, 0, 0)]
    [InlineData("23-59-59.mp4", true, 23, 59, 59)]
    [InlineData("24-00-00.mp4", false, 0, 0, 0)]
    [InlineData("16-05-00.MP4", false, 0, 0, 0)]
    [InlineData("16:05:00.mp4", false, 0, 0, 0)]
    [InlineData("16-05-00.mp4.part", false, 0, 0, 0)]
    public void Segment_names_carry_their_UTC_start(string name, bool valid, int hour, int minute, int second)
    {
        var ok = ArchiveIndex.TryParseSegmentName(name, new DateOnly(2026, 11, 27), out var start);

        Assert.Equal(valid, ok);
        if (valid)
        {
            Assert.Equal(new DateTimeOffset(2026, 11, 27, hour, minute, second, TimeSpan.Zero), start);
        }
    }

    [Fact]
    public void The_events_journal_is_read_and_its_malformed_lines_counted()
    {
        segments.Place(_root, "school-12", "entrance", T0);
        File.WriteAllLines(Path.Combine(_root, "school-12", "entrance", ArchiveIndex.EventsFileName),
        [
            """{"at":"2026-11-27T16:05:10Z","event":"gap-start","cause":"camera-offline"}""",
            "not json",
            """{"at":"yesterday","event":"gap-end"}""",
            """{"event":"gap-end"}""",
            "",
            """{"at":"2026-11-27T16:06:10Z","event":"gap-end"}""",
            "[1,2]",
            """{"at":"2026-11-27T16:05:00Z","event":"segment-start"}""",
        ]);

        var journal = ArchiveIndex.Scan(_root).Get("school-12", "entrance").Journal;

        Assert.Equal(4, journal.MalformedLines);
        Assert.Equal(["segment-start", "gap-start", "gap-end"], journal.Events.Select(e => e.Event));
        Assert.Equal("camera-offline", journal.Events[1].Cause);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
