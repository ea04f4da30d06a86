using StreamGateway.Protocols.Sdp;

namespace StreamGateway.Protocols.Tests.Sdp;

public sealed class SessionDescriptionTests
{
    private const string Minimal = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=Cam\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\na=control:*\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\na=control:trackID=1\r\na=recvonly\r\n";

    [Fact]
    public void Parses_session_and_media_fields()
    {
        var sdp = SessionDescription.Parse(Minimal);

        Assert.Equal("Cam", sdp.SessionName);
        Assert.Equal("*", sdp.Control);
        Assert.Equal("0.0.0.0", sdp.ConnectionAddress);
        var m = Assert.Single(sdp.Media);
        Assert.Equal("video", m.Media);
        Assert.Equal(0, m.Port);
        Assert.Equal("RTP/AVP", m.Protocol);
        Assert.Equal(["96"], m.Formats);
        Assert.Equal("trackID=1", m.Control);
        Assert.Equal("recvonly", m.Direction);
        Assert.Equal(new RtpMap(96, "H264", 90000, null), m.GetRtpMap(96));
        Assert.Equal("packetization-mode=1", m.GetFmtp(96));
        Assert.Null(m.GetRtpMap(97));
        Assert.Null(m.GetFmtp(97));
        Assert.Contains(new SdpAttribute("recvonly", null), m.Attributes);
    }

    [Fact]
    public void Line_endings_and_trailing_blanks_do_not_change_the_result()
    {
        var crlf = SessionDescription.Parse(Minimal);
        var lf = SessionDescription.Parse(Minimal.Replace("\r\n", "\n", StringComparison.Ordinal));
        var blanks = SessionDescription.Parse(Minimal.Replace("\r\n", " \t\r\n", StringComparison.Ordinal));

        foreach (var other in new[] { lf, blanks })
        {
            Assert.Equal(crlf.SessionName, other.SessionName);
            Assert.Equal(crlf.Media[0].Formats, other.Media[0].Formats);
            Assert.Equal(crlf.Media[0].Attributes, other.Media[0].Attributes);
        }
    }

    public static TheoryData<string, string> Quirks => new()
    {
        // file, what must hold (checked below by name)
        { "tplink-tapo-sdp-h265-application-tp-link.sdp", "odd media and non-numeric fmt" },
        { "hikvision-hms-v3.1-sdp-duplicated-c-token.sdp", "duplicated c token" },
        { "teleste-mph-sdp-multicast-h264.sdp", "multicast c with ttl" },
        { "uniview-ipc2122lb-sdp-empty-c-address-metadata.sdp", "empty c" },
        { "generic-rtspserver-sdp-s-i-lines-inside-media.sdp", "s= inside media" },
        { "ubiquiti-unifi-sdp-two-audio-same-pt96.sdp", "same pt in two sections" },
        { "hanwha-wisenet-nvr-sdp-no-origin-no-timing-m-text.sdp", "no o= and t=" },
        { "avigilon-sdp-backchannel-opus-bogus-c-line.sdp", "bogus c inside media" },
    };

    [Theory]
    [MemberData(nameof(Quirks))]
    public void Camera_quirks_parse_leniently(string file, string quirk)
    {
        var sdp = SessionDescription.Parse(CameraFiles.ReadText(file));

        switch (quirk)
        {
            case "odd media and non-numeric fmt":
                Assert.Equal("application/TP-LINK", sdp.Media[2].Media);
                Assert.Equal(["smart/1/90000"], sdp.Media[2].Formats);
                break;
            case "duplicated c token":
                Assert.Equal("0.0.0.0", sdp.ConnectionAddress);
                break;
            case "multicast c with ttl":
                Assert.Equal("232.16.200.207", sdp.ConnectionAddress);
                Assert.Equal(5008, sdp.Media[0].Port);
                break;
            case "empty c":
                Assert.Null(sdp.ConnectionAddress);
                break;
            case "s= inside media":
                Assert.Equal("RtspServer", sdp.SessionName);
                Assert.Equal("track0", sdp.Media[0].Control);
                Assert.Equal(2, sdp.Media.Count);
                break;
            case "same pt in two sections":
                Assert.Equal("MPEG4-GENERIC", sdp.Media[0].GetRtpMap(96)!.EncodingName);
                Assert.Equal(new RtpMap(96, "OPUS", 48000, 2), sdp.Media[1].GetRtpMap(96));
                Assert.Null(sdp.Media[1].GetFmtp(96)); // bare "a=fmtp:96"
                break;
            case "no o= and t=":
                Assert.Equal("DWC-MV94WiAT", sdp.SessionName);
                Assert.Equal(3, sdp.Media.Count);
                break;
            case "bogus c inside media":
                Assert.Equal(["0", "97"], sdp.Media[1].Formats);
                Assert.Equal("sendonly", sdp.Media[1].Direction);
                break;
            default:
                Assert.Fail("unknown quirk " + quirk);
                break;
        }
    }

    [Fact]
    public void M_line_with_trailing_tab_keeps_clean_formats()
    {
        var (text, _) = CameraTrackSelectionTests.Load("vstarcam-describe-200-mline-trailing-tab.rtsp");

        var sdp = SessionDescription.Parse(text);

        Assert.Equal(["8"], sdp.Media[1].Formats);
    }

    [Fact]
    public void Rtpmap_with_trailing_space_is_read()
    {
        var sdp = SessionDescription.Parse("v=0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000 \r\n");

        Assert.Equal(new RtpMap(96, "H264", 90000, null), sdp.Media[0].GetRtpMap(96));
    }

    public static TheoryData<string, string> Unusable => new()
    {
        { string.Empty, "empty" },
        { "\r\n\r\n", "empty" },
        { "<html><body>401</body></html>", "line 1" },
        { "o=- 1 1 IN IP4 1.2.3.4\r\nm=video 0 RTP/AVP 96\r\n", "v=" },
        { "v=0\r\ns=no media\r\nt=0 0\r\n", "no media" },
        { "v=0\r\ns=x\r\nm=video\r\n", "line 3" },
        { "v=0\r\ns=x\r\nm=video 0 RTP/AVP 96\r\nthis is not sdp\r\n", "line 4" },
    };

    [Theory]
    [MemberData(nameof(Unusable))]
    public void Unusable_text_is_rejected_with_a_clear_message(string text, string messageFragment)
    {
        Assert.False(SessionDescription.TryParse(text, out var sdp, out var error));
        Assert.Null(sdp);
        Assert.Contains(messageFragment, error, StringComparison.Ordinal);

        var ex = Assert.Throws<SdpFormatException>(() => SessionDescription.Parse(text));
        Assert.IsAssignableFrom<FormatException>(ex);
        Assert.Equal(error, ex.Message);
    }

    [Fact]
    public void Too_many_media_sections_are_rejected()
    {
        var text = "v=0\r\n" + string.Concat(Enumerable.Repeat("m=audio 0 RTP/AVP 0\r\n", SessionDescription.MaxMediaSections + 1));

        Assert.False(SessionDescription.TryParse(text, out _, out var error));
        Assert.Contains("media sections", error, StringComparison.Ordinal);
    }
}
