using StreamGateway.Protocols.Sdp;

namespace StreamGateway.Protocols.Tests.Sdp;

public sealed class TrackSelectorTests
{
    [Theory]
    [InlineData("rtsp://h/a/", "trackID=1", "rtsp://h/a/trackID=1")]
    [InlineData("rtsp://h/a", "trackID=1", "rtsp://h/a/trackID=1")]
    [InlineData("rtsp://h/a?ch=1&sub=0/", "trackID=1", "rtsp://h/a?ch=1&sub=0/trackID=1")]
    [InlineData("rtsp://h/a?ch=1", "video", "rtsp://h/a?ch=1/video")]
    [InlineData("rtsp://h:554", "track1", "rtsp://h:554/track1")]
    [InlineData("rtsp://h/a/b", "/x/trackID=2", "rtsp://h/x/trackID=2")]
    [InlineData("rtsp://h/a/", "rtsp://other/t=1?q", "rtsp://other/t=1?q")]
    [InlineData("rtsp://h/a/", "RTSPS://other/t", "RTSPS://other/t")]
    public void Relative_controls_are_appended_to_the_base(string baseUrl, string control, string expected)
    {
        Assert.Equal(expected, TrackSelector.ResolveControl(baseUrl, control));
    }

    [Theory]
    [InlineData("a=control:*\r\n", "", "rtsp://cam/live")]
    [InlineData("", "", "rtsp://cam/live")]
    [InlineData("a=control:rtsp://cam/agg\r\n", "", "rtsp://cam/agg")]
    [InlineData("a=control:*\r\n", "a=control:*\r\n", "rtsp://cam/live")]
    public void Missing_or_star_media_control_means_the_session_url(string sessionControl, string mediaControl, string expected)
    {
        var sdp = SessionDescription.Parse($"v=0\r\n{sessionControl}m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n{mediaControl}");

        var track = Assert.Single(TrackSelector.Select(sdp, new Uri("rtsp://cam/live"), null).Tracks);

        Assert.Equal(expected, track.ControlUrl);
    }

    [Theory]
    [InlineData("m=video 0 RTP/AVP 96\r\n", "no rtpmap")]
    [InlineData("m=video 0 RTP/AVP 0\r\n", "is not video")]
    [InlineData("m=audio 0 RTP/AVP 2\r\n", "not a known static type")]
    [InlineData("m=audio 0 RTP/AVP 0\r\na=inactive\r\n", "inactive")]
    [InlineData("m=video 0 udp MP2T\r\n", "not RTP")]
    [InlineData("m=audio 0 RTP/AVP x\r\n", "not a number")]
    [InlineData("m=application 0 RTP/AVP 107\r\na=rtpmap:107 vnd.onvif.metadata/90000\r\n", "VND.ONVIF.METADATA")]
    public void Unusable_sections_are_skipped_with_a_reason(string section, string reason)
    {
        var sdp = SessionDescription.Parse("v=0\r\nm=video 0 RTP/AVP 26\r\n" + section);

        var selection = TrackSelector.Select(sdp, new Uri("rtsp://cam/live"), null);

        Assert.Equal("JPEG", Assert.Single(selection.Tracks).EncodingName);
        Assert.Contains(reason, Assert.Single(selection.Skipped), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a=sendonly", "", 2)] // server's own view (D-Link): all kept
    [InlineData("a=sendonly", "a=recvonly", 1)] // ONVIF client view: the sendonly audio is a backchannel
    [InlineData("", "", 2)]
    public void Sendonly_audio_is_a_backchannel_only_when_the_sdp_uses_the_client_view(string audioDirection, string videoDirection, int expectedTracks)
    {
        var sdp = SessionDescription.Parse(
            $"v=0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n{videoDirection}\r\nm=audio 0 RTP/AVP 8\r\n{audioDirection}\r\n");

        Assert.Equal(expectedTracks, TrackSelector.Select(sdp, new Uri("rtsp://cam/live"), null).Tracks.Count);
    }

    [Theory]
    [InlineData("rtsp://admin:s3cret@cam:554/live", null, "trackID=1", "rtsp://cam:554/live/trackID=1")]
    [InlineData("rtsp://admin:s3cret@cam/live", "rtsp://admin:s3cret@cam/live/", "trackID=1", "rtsp://cam/live/trackID=1")]
    [InlineData("rtsp://cam/live", null, "rtsp://admin:s3cret@cam/live/t1", "rtsp://cam/live/t1")]
    [InlineData("rtsp://admin:s3cret@cam/live", null, "*", "rtsp://cam/live")]
    public void Credentials_never_reach_control_urls(string requestUrl, string? contentBase, string control, string expected)
    {
        var sdp = SessionDescription.Parse($"v=0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:{control}\r\nm=application 0 RTP/AVP 107\r\na=control:{control}\r\n");

        var selection = TrackSelector.Select(sdp, new Uri(requestUrl), contentBase is null ? null : new Uri(contentBase));

        Assert.Equal(expected, Assert.Single(selection.Tracks).ControlUrl);
        Assert.DoesNotContain("s3cret", Assert.Single(selection.Skipped), StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", selection.Tracks[0].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void H264_without_fmtp_is_still_a_track()
    {
        var sdp = SessionDescription.Parse("v=0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n");

        var track = Assert.Single(TrackSelector.Select(sdp, new Uri("rtsp://cam/live"), null).Tracks);

        Assert.Null(track.Fmtp);
        Assert.True(track.IsVideoWithKeyframes);
    }
}
