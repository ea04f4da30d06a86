using StreamGateway.Protocols.Rtsp;

namespace StreamGateway.Protocols.Tests.Rtsp;

public sealed class SessionAndRtpInfoTests
{
    public static TheoryData<string, string, int?> SessionValues => new()
    {
        { "12345678", "12345678", null },
        { "12345678;timeout=60", "12345678", 60 },
        { "  708345999;timeout=60", "708345999", 60 },
        { "9a90de54; timeout=60", "9a90de54", 60 },
        { "abc ; Timeout = 30 ", "abc", 30 },
        { "abc;timeout=\"45\"", "abc", 45 },
        { "abc;timeout=soon", "abc", null },
        { "abc;timeout=0", "abc", null },
        { "abc;foo=bar;timeout=90", "abc", 90 },
    };

    [Theory]
    [MemberData(nameof(SessionValues))]
    public void Parses_session_header(string value, string id, int? timeout)
    {
        Assert.True(SessionHeader.TryParse(value, out var header));
        Assert.Equal(new SessionHeader(id, timeout), header);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(";timeout=60")]
    [InlineData("two words")]
    public void Rejects_session_header_without_id(string value)
    {
        Assert.False(SessionHeader.TryParse(value, out _));
    }

    [Theory]
    [InlineData("abc", null, "abc")]
    [InlineData("abc", 60, "abc;timeout=60")]
    public void Writes_session_header(string id, int? timeout, string expected)
    {
        Assert.Equal(expected, new SessionHeader(id, timeout).ToHeaderValue());
    }

    [Fact]
    public void Parses_rtp_info_with_absolute_urls_and_missing_fields()
    {
        var entries = RtpInfoHeader.Parse("url=rtsp://cam/live/trackID=1;seq=1;rtptime=2, url=rtsp://cam/live/trackID=2;rtptime=99 ,url=\"rtsp://cam/live/trackID=3\"");

        Assert.Equal(
            [
                new RtpInfoEntry("rtsp://cam/live/trackID=1", 1, 2),
                new RtpInfoEntry("rtsp://cam/live/trackID=2", null, 99),
                new RtpInfoEntry("rtsp://cam/live/trackID=3", null, null),
            ],
            entries);
    }

    [Fact]
    public void Keeps_a_comma_inside_an_rtp_info_url()
    {
        var entry = Assert.Single(RtpInfoHeader.Parse("url=rtsp://cam/a,b/track1;seq=5"));

        Assert.Equal(new RtpInfoEntry("rtsp://cam/a,b/track1", 5, null), entry);
    }

    [Theory]
    [InlineData("")]
    [InlineData("seq=1;rtptime=2")]
    public void Returns_no_rtp_info_entries_without_url(string value)
    {
        Assert.Empty(RtpInfoHeader.Parse(value));
    }

    [Fact]
    public void Ignores_out_of_range_rtp_info_numbers()
    {
        var entry = Assert.Single(RtpInfoHeader.Parse("url=trackID=0;seq=70000;rtptime=-1"));

        Assert.Equal(new RtpInfoEntry("trackID=0", null, null), entry);
    }
}
