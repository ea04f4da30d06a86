using StreamGateway.Protocols.Sdp;
using StreamGateway.Publish.Push;

namespace StreamGateway.IntegrationTests.Push;

/// <summary>What a push sends, checked without a network.</summary>
public sealed class PushRequestsTests
{
    private static readonly TrackDescription[] Tracks =
    [
        new() { Index = 0, Kind = MediaKind.Video, PayloadType = 96, EncodingName = "H264", ClockRate = 90000, Fmtp = "packetization-mode=1;sprop-parameter-sets=Z0I=,aM4=", ControlUrl = "rtsp://cam/trackID=1" },
        new() { Index = 1, Kind = MediaKind.Audio, PayloadType = 8, EncodingName = "PCMA", ClockRate = 8000, Channels = 1, ControlUrl = "rtsp://cam/trackID=2" },
    ];

    [Fact]
    public void The_announced_sdp_describes_every_track_with_its_own_control()
    {
        var sdp = PushRequests.AnnounceSdp(Tracks, "StreamGateway", "127.0.0.1");
        string[] expected =
        [
            "v=0", "s=StreamGateway", "a=control:*",
            "m=video 0 RTP/AVP 96", "a=rtpmap:96 H264/90000", "a=fmtp:96 packetization-mode=1;sprop-parameter-sets=Z0I=,aM4=", "a=control:trackID=0",
            "m=audio 0 RTP/AVP 8", "a=rtpmap:8 PCMA/8000/1", "a=control:trackID=1",
        ];
        var lines = sdp.Split("\r\n");
        var at = 0;
        foreach (var line in expected)
        {
            var found = Array.IndexOf(lines, line, at);
            Assert.True(found >= 0, $"'{line}' missing or out of order in:\n{sdp}");
            at = found;
        }

        Assert.DoesNotContain("rtsp://cam", sdp, StringComparison.Ordinal); // the camera's URLs stay private
    }

    [Theory]
    [InlineData("rtsp://media.cou.local:8554/school-12/gate", 0, "rtsp://media.cou.local:8554/school-12/gate/trackID=0")]
    [InlineData("rtsp://media.cou.local:8554/school-12/gate/", 1, "rtsp://media.cou.local:8554/school-12/gate/trackID=1")]
    public void A_track_is_set_up_at_the_push_url_plus_its_control(string url, int track, string expected) =>
        Assert.Equal(expected, PushRequests.TrackUrl(url, Tracks[track]));

    [Theory]
    [InlineData(0, "RTP/AVP/TCP;unicast;interleaved=0-1;mode=record")]
    [InlineData(1, "RTP/AVP/TCP;unicast;interleaved=2-3;mode=record")]
    [InlineData(3, "RTP/AVP/TCP;unicast;interleaved=6-7;mode=record")]
    public void Each_track_asks_for_its_own_interleaved_pair_in_record_mode(int position, string expected) =>
        Assert.Equal(expected, PushRequests.SetupTransport(position));

    [Theory]
    [InlineData(null, 1, 2, 3)]
    [InlineData("RTP/AVP/TCP;unicast;interleaved=2-3;mode=record", 1, 2, 3)]
    [InlineData("RTP/AVP/TCP;unicast;interleaved=6-7", 1, 6, 7)]
    [InlineData("RTP/AVP/TCP;unicast;mode=record", 0, 0, 1)]
    public void The_server_may_pick_other_channels(string? answer, int position, int rtp, int rtcp) =>
        Assert.Equal(((byte)rtp, (byte)rtcp), PushRequests.ChosenChannels(answer, position));

    [Fact]
    public void A_server_that_answers_udp_is_refused() =>
        Assert.Null(PushRequests.ChosenChannels("RTP/AVP;unicast;client_port=5000-5001;server_port=6000-6001", 0));

    [Theory]
    [InlineData(null, 20, 20)]
    [InlineData(60, 20, 20)]
    [InlineData(30, 20, 15)]
    [InlineData(1, 20, 1)]
    [InlineData(0, 20, 20)]
    public void Keep_alives_go_at_half_the_session_timeout_at_most_the_configured_period(int? timeout, int configured, double expectedSeconds) =>
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), PushRequests.KeepAliveInterval(timeout, TimeSpan.FromSeconds(configured)));

    [Theory]
    [InlineData("OPTIONS, ANNOUNCE, GET_PARAMETER, RECORD", true)]
    [InlineData("OPTIONS,ANNOUNCE,SETUP,RECORD,get_parameter", true)]
    [InlineData("OPTIONS, ANNOUNCE, SETUP, RECORD", false)]
    [InlineData(null, false)]
    public void Get_parameter_is_the_keep_alive_only_when_the_server_lists_it(string? publicHeader, bool expected) =>
        Assert.Equal(expected, PushRequests.SupportsGetParameter(publicHeader));

    [Theory]
    [InlineData("rtsp://media.cou.local:8554/s/c", "gw", "pa55", "PushTarget { Url = rtsp://media.cou.local:8554/s/c, Username = gw, Password = *** }")]
    [InlineData("rtsp://gw:pa55@media.cou.local:8554/s/c", null, null, "PushTarget { Url = rtsp://media.cou.local:8554/s/c, Username = gw, Password = *** }")]
    [InlineData("rtsp://media.cou.local/s/c", null, null, "PushTarget { Url = rtsp://media.cou.local/s/c }")]
    public void A_target_never_shows_its_password(string url, string? user, string? password, string expected)
    {
        var target = new PushTarget(new Uri(url), user, password);
        Assert.Equal(expected, target.ToString());
        Assert.DoesNotContain("pa55", target.RedactedUrl, StringComparison.Ordinal);
        Assert.Equal(("gw", "pa55"), target.Credentials ?? ("gw", "pa55"));
    }

    [Theory]
    [InlineData("http://media.cou.local/s/c", "the push URL must be an absolute rtsp:// URL")]
    [InlineData("rtsp://media.cou.local:8554/s/c", null)]
    public void Only_rtsp_urls_are_push_targets(string url, string? expected) =>
        Assert.Equal(expected, PushTarget.Validate(new Uri(url)));
}
