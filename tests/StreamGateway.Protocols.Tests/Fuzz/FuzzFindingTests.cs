using StreamGateway.Protocols.Rtsp;

namespace StreamGateway.Protocols.Tests.Fuzz;

/// <summary>The bugs fuzzing found, pinned as plain cases next to the replayed inputs (docs/fuzzing.md lists them).</summary>
public sealed class FuzzFindingTests
{
    [Theory]
    [InlineData("\v")]
    [InlineData("\v;;\uFFFDY\u001A\uFFFDJ;;")]
    [InlineData("\f;timeout=60")]
    [InlineData("abc\u00A0def")]
    [InlineData("abc\u0001")]
    [InlineData("abc\u2028")]
    public void Session_id_with_other_whitespace_or_a_control_character_is_refused(string value)
    {
        Assert.False(SessionHeader.TryParse(value, out _));
    }

    [Theory]
    [InlineData("7116520596809429228", "7116520596809429228", null)]
    [InlineData(" \t216525287999;timeout=60", "216525287999", 60)]
    [InlineData("A1b2-C3_d4.e5$", "A1b2-C3_d4.e5$", null)]
    public void Session_id_that_is_printable_still_parses_and_round_trips(string value, string id, int? timeout)
    {
        Assert.True(SessionHeader.TryParse(value, out var header));
        Assert.Equal(new SessionHeader(id, timeout), header);
        Assert.True(SessionHeader.TryParse(header.ToHeaderValue(), out var again));
        Assert.Equal(header, again);
    }
}
