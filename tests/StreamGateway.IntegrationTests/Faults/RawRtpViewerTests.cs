namespace StreamGateway.IntegrationTests.Faults;

/// <summary>The continuity check the fault tests rely on must itself catch what it claims to.</summary>
public sealed class RawRtpViewerTests
{
    private static readonly TimeSpan Frame = TimeSpan.FromMilliseconds(40);

    public static TheoryData<string, uint, int, int, double, bool> Steps => new()
    {
        // name, next SSRC, seq step, ts step (90 kHz), wall ms, continuous?
        { "next frame", 0xAAAA, 1, 3600, 40, true },
        { "same frame, next packet", 0xAAAA, 1, 0, 1, true },
        { "a few packets lost", 0xAAAA, 4, 3600, 40, true },
        { "15 s outage with timestamps following the wall clock", 0xAAAA, 1, 15 * 90000, 15000, true },
        { "new SSRC", 0xBBBB, 1, 3600, 40, false },
        { "sequence repeats", 0xAAAA, 0, 3600, 40, false },
        { "sequence goes back", 0xAAAA, -5, 3600, 40, false },
        { "sequence jumps to a new base", 0xAAAA, 20000, 3600, 40, false },
        { "timestamp goes back", 0xAAAA, 1, -3600, 40, false },
        { "timestamp jumps far ahead of the wall clock", 0xAAAA, 1, 600 * 90000, 40, false },
    };

    [Theory]
    [MemberData(nameof(Steps))]
    public void Finds_every_break_in_an_RTP_stream(string name, uint ssrc, int seqStep, int tsStep, double wallMs, bool continuous)
    {
        var first = new RtpArrival(TimeSpan.FromSeconds(1), 0xAAAA, 65530, 4_294_960_000, false); // both fields about to wrap
        var second = new RtpArrival(first.At + TimeSpan.FromMilliseconds(wallMs), ssrc, unchecked((ushort)(first.Sequence + seqStep)), unchecked((uint)(first.Timestamp + tsStep)), false);
        var third = second with { At = second.At + Frame, Sequence = unchecked((ushort)(second.Sequence + 1)), Timestamp = unchecked(second.Timestamp + 3600) };

        var problems = RawRtpViewer.FindDiscontinuities([first, second, third], 90000, maxSequenceGap: 500, slack: TimeSpan.FromSeconds(1));

        Assert.True(continuous == (problems.Count == 0), $"{name}: {string.Join(" | ", problems)}");
    }
}
