using StreamGateway.Archive;

namespace StreamGateway.Tests.Archive;

public sealed class Fmp4InspectorTests(SyntheticSegments segments) : IClassFixture<SyntheticSegments>
{
    [Fact]
    public void Reads_the_duration_of_an_ffmpeg_fragmented_segment_from_its_boxes()
    {
        var info = Fmp4Inspector.TryRead(segments.SegmentFile);

        Assert.NotNull(info);
        Assert.Equal(5.0, info.Duration.TotalSeconds, 0.05);
        Assert.Equal(5, info.CompleteFragments);
        Assert.False(info.Truncated);
    }

    // Where a crash cuts the file: inside the last mdat, inside the last moof, or just after its header.
    [Theory]
    [InlineData("half of the last mdat", 4)]
    [InlineData("one byte short of the last mdat", 4)]
    [InlineData("inside the trailing mfra", 5)]
    [InlineData("inside the last moof", 4)]
    [InlineData("after the last moof's first 3 bytes", 4)]
    [InlineData("inside the third mdat", 2)]
    public void A_segment_cut_by_a_crash_reports_only_its_complete_fragments(string cut, int completeFragments)
    {
        var boxes = SyntheticSegments.TopLevelBoxes(segments.SegmentFile);
        var moofs = boxes.Where(b => b.Type == "moof").ToList();
        var mdats = boxes.Where(b => b.Type == "mdat").ToList();
        long length = cut switch
        {
            "half of the last mdat" => mdats[^1].Offset + (mdats[^1].Size / 2),
            "one byte short of the last mdat" => mdats[^1].Offset + mdats[^1].Size - 1,
            "inside the trailing mfra" => new FileInfo(segments.SegmentFile).Length - 1,
            "inside the last moof" => moofs[^1].Offset + (moofs[^1].Size / 2),
            "after the last moof's first 3 bytes" => moofs[^1].Offset + 3,
            "inside the third mdat" => mdats[2].Offset + 20,
            _ => throw new ArgumentOutOfRangeException(nameof(cut)),
        };
        var copy = Path.Combine(segments.Directory, $"cut-{Guid.NewGuid():N}.mp4");
        File.WriteAllBytes(copy, File.ReadAllBytes(segments.SegmentFile)[..(int)length]);

        var info = Fmp4Inspector.TryRead(copy);

        Assert.NotNull(info);
        Assert.True(info.Truncated, cut);
        Assert.Equal(completeFragments, info.CompleteFragments);
        Assert.Equal(completeFragments * 1.0, info.Duration.TotalSeconds, 0.05);
    }

    [Theory]
    [InlineData("empty", new byte[0])]
    [InlineData("not an mp4", new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 })]
    [InlineData("a box size larger than the file", new byte[] { 0, 0, 0x10, 0, (byte)'m', (byte)'o', (byte)'o', (byte)'v', 0, 0 })]
    [InlineData("a box size smaller than its header", new byte[] { 0, 0, 0, 4, (byte)'f', (byte)'t', (byte)'y', (byte)'p' })]
    public void Something_that_is_not_a_measurable_mp4_gives_no_duration(string what, byte[] content)
    {
        using var stream = new MemoryStream(content);

        Assert.True(Fmp4Inspector.TryRead(stream) is null, what);
    }

    [Fact]
    public void Only_the_ftyp_and_moov_of_a_segment_just_started_give_zero_duration()
    {
        var boxes = SyntheticSegments.TopLevelBoxes(segments.SegmentFile);
        var firstMoof = boxes.First(b => b.Type == "moof");
        using var stream = new MemoryStream(File.ReadAllBytes(segments.SegmentFile)[..(int)firstMoof.Offset]);

        var info = Fmp4Inspector.TryRead(stream);

        Assert.NotNull(info);
        Assert.Equal(TimeSpan.Zero, info.Duration);
        Assert.Equal(0, info.CompleteFragments);
    }
}
