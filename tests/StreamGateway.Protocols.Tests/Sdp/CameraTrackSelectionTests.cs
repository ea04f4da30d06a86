using StreamGateway.Protocols.Sdp;
using static StreamGateway.Protocols.Sdp.MediaKind;

namespace StreamGateway.Protocols.Tests.Sdp;

/// <summary>Every SDP of tests/testdata/cameras, with the tracks the gateway must relay written out by hand (see PROVENANCE.md).</summary>
public sealed class CameraTrackSelectionTests
{
    public sealed record Track(MediaKind Kind, int PayloadType, string Encoding, int ClockRate, int? Channels, string Control, bool HasFmtp = false);

    public sealed record Case(string RequestUrl, string? ContentBase, int Skipped, params Track[] Tracks);

    private static readonly Dictionary<string, Case> Cases = new()
    {
        // ---- SDP-only files: no Content-Base, so relative controls hang off the request URL.
        ["aces-ssdrtspserver-sdp-onvif-backchannel-metadata.sdp"] = new(
            "rtsp://192.168.81.194:554/video1", null, Skipped: 2, // sendonly PCMU backchannel, ONVIF metadata
            new(Video, 96, "H264", 90000, null, "rtsp://192.168.81.194:554/video1/video", HasFmtp: true),
            new(Audio, 0, "PCMU", 8000, null, "rtsp://192.168.81.194:554/video1/audio")),
        ["altasec-nvr-sdp-origin-no-address-numeric-control.sdp"] = new(
            "rtsp://10.0.0.2:554/ch1", null, Skipped: 1, // METADATA application
            new(Video, 96, "H264", 90000, null, "rtsp://10.0.0.2:554/ch1/0", HasFmtp: true),
            new(Audio, 0, "PCMU", 8000, null, "rtsp://10.0.0.2:554/ch1/1")),
        ["avigilon-sdp-backchannel-opus-bogus-c-line.sdp"] = new(
            "rtsp://192.168.1.63/defaultPrimary?streamType=u", null, Skipped: 2, // speaker backchannel, video PT 96 without rtpmap (truncated)
            new Track(Audio, 0, "PCMU", 8000, null, "rtsp://192.168.1.63/defaultPrimary/micCfg0/trackID=9?mtu=1440&streamType=u")),
        ["bosch-sdp-pt35-query-string-control.sdp"] = new(
            "rtsp://10.100.14.102:554/?inst=2&h26x=4", null, Skipped: 0,
            new Track(Video, 35, "H264", 90000, null, "rtsp://10.100.14.102:554/?inst=2&h26x=4&stream=video", HasFmtp: true)),
        ["dahua-ipc-sdp-h265-dh-packetization.sdp"] = new(
            "rtsp://192.168.1.108:554/cam/realmonitor?channel=1&subtype=0", null, Skipped: 0,
            new Track(Video, 98, "H265", 90000, null, "rtsp://192.168.1.108:554/cam/realmonitor?channel=1&subtype=0/trackID=0", HasFmtp: true)),
        ["dlink-cv-rtsphandler-sdp-sendonly-shift-jis.sdp"] = new(
            "rtsp://192.168.1.22/live.sdp", null, Skipped: 0, // sendonly from the server's view: not a backchannel
            new(Video, 99, "H264", 90000, null, "rtsp://192.168.1.22/live.sdp/trackID=1", HasFmtp: true),
            new(Audio, 127, "MPEG4-GENERIC", 8000, 1, "rtsp://192.168.1.22/live.sdp/trackID=2", HasFmtp: true)),
        ["flir-sdp-invalid-timing-five-payloads.sdp"] = new(
            "rtsp://172.16.2.20/sid=96", null, Skipped: 0, // first of five formats is the default
            new Track(Video, 96, "MP4V-ES", 90000, null, "rtsp://172.16.2.20/sid=96&overlay=on", HasFmtp: true)),
        ["generic-ipc-sdp-h264-fmtp-after-audio-section.sdp"] = new(
            "rtsp://192.168.1.123:554/live/ch0", null, Skipped: 0, // video fmtp found under the audio section; PT 8 is static PCMA
            new(Video, 96, "H264", 90000, null, "rtsp://192.168.1.123:554/live/ch0/track0", HasFmtp: true),
            new(Audio, 8, "PCMA", 8000, null, "rtsp://192.168.1.123:554/live/ch0/track1")),
        ["generic-rtspserver-sdp-s-i-lines-inside-media.sdp"] = new(
            "rtsp://192.168.1.123:554/live", null, Skipped: 0,
            new(Video, 96, "H264", 90000, null, "rtsp://192.168.1.123:554/live/track0", HasFmtp: true),
            new(Audio, 97, "MPEG4-GENERIC", 8000, 1, "rtsp://192.168.1.123:554/live/track1", HasFmtp: true)),
        ["geovision-vcp-sdp-absolute-control-onvif-metadata.sdp"] = new(
            "rtsp://192.168.5.237/media/video1", null, Skipped: 1,
            new Track(Video, 105, "H264", 90000, null, "rtsp://192.168.5.237/media/video1/video", HasFmtp: true)),
        ["hanwha-samsung-sdp-absolute-control-media-smp.sdp"] = new(
            "rtsp://10.0.100.50/profile5/media.smp", null, Skipped: 1,
            new(Video, 97, "H264", 90000, null, "rtsp://10.0.100.50/profile5/media.smp/trackID=v", HasFmtp: true),
            new(Audio, 0, "PCMU", 8000, null, "rtsp://10.0.100.50/profile5/media.smp/trackID=a")),
        ["hanwha-wisenet-nvr-sdp-no-origin-no-timing-m-text.sdp"] = new(
            "rtsp://10.1.10.178/profile2/media.smp", null, Skipped: 1, // m=text object-detection
            new(Video, 96, "H264", 90000, null, "rtsp://10.1.10.178/profile2/media.smp/trackID=0", HasFmtp: true),
            new(Audio, 14, "MPA", 90000, null, "rtsp://10.1.10.178/profile2/media.smp/trackID=1")),
        ["hikvision-hms-playback-sdp-range-clock-g7221.sdp"] = new(
            "rtsp://10.0.0.5:554/playback", null, Skipped: 0,
            new(Video, 96, "H264", 90000, null, "rtsp://10.0.0.5:554/playback/trackID=video", HasFmtp: true),
            new(Audio, 98, "G7221", 16000, null, "rtsp://10.0.0.5:554/playback/trackID=audio")),
        ["hikvision-hms-v3.1-sdp-duplicated-c-token.sdp"] = new(
            "rtsp://10.0.0.5:554/live", null, Skipped: 0,
            new Track(Video, 96, "H264", 90000, null, "rtsp://10.0.0.5:554/live/trackID=video", HasFmtp: true)),
        ["hikvision-ipc-sdp-h265-no-fmtp-query-control.sdp"] = new(
            "rtsp://192.168.3.58:554/Streaming/Channels/101?transportmode=unicast", null, Skipped: 0,
            new(Video, 96, "H265", 90000, null, "rtsp://192.168.3.58:554/Streaming/Channels/101/trackID=1?transportmode=unicast"),
            new(Audio, 8, "PCMA", 8000, null, "rtsp://192.168.3.58:554/Streaming/Channels/101/trackID=2?transportmode=unicast")),
        ["ids-ueye-sdp-sendonly-fmtp-trailing-semicolon.sdp"] = new(
            "rtsp://192.168.0.50/video1", null, Skipped: 0, // the only track is sendonly from the server's view
            new Track(Video, 96, "H264", 90000, null, "rtsp://*****/video=video1", HasFmtp: true)),
        ["live555-ipcam-sdp-mjpeg-metadata-m-vana.sdp"] = new(
            "rtsp://172.20.0.215/stream1", null, Skipped: 2, // ONVIF metadata, m=vana
            new(Video, 26, "JPEG", 90000, null, "rtsp://172.20.0.215/stream1/track1"),
            new(Audio, 0, "PCMU", 8000, null, "rtsp://172.20.0.215/stream1/track2")),
        ["onvif-spec-sdp-audio-backchannel.sdp"] = new(
            "rtsp://192.168.0.1/onvif", null, Skipped: 1,
            new(Video, 26, "JPEG", 90000, null, "rtsp://192.168.0.1/video"),
            new(Audio, 0, "PCMU", 8000, null, "rtsp://192.168.0.1/audio")),
        ["reolink-bcstreaming-sdp-backchannel-sendonly-pcma.sdp"] = new(
            "rtsp://192.168.0.3:554/h264Preview_01_main", null, Skipped: 1,
            new(Video, 96, "H264", 90000, null, "rtsp://192.168.0.3:554/h264Preview_01_main/track1", HasFmtp: true),
            new(Audio, 97, "MPEG4-GENERIC", 16000, null, "rtsp://192.168.0.3:554/h264Preview_01_main/track2", HasFmtp: true)),
        ["teleste-mph-sdp-multicast-h264.sdp"] = new(
            "rtsp://172.16.200.193/COD_9003-P2-0", null, Skipped: 0,
            new Track(Video, 98, "H264", 90000, null, "rtsp://172.16.200.193/COD_9003-P2-0/trackID=0", HasFmtp: true)),
        ["tplink-mercury-sdp-smart-encoder-lf.sdp"] = new(
            "rtsp://192.168.0.60:554/stream1", null, Skipped: 1, // m=application/MERCURY smart/1
            new(Video, 96, "H264", 90000, null, "rtsp://192.168.0.60:554/stream1/track1", HasFmtp: true),
            new(Audio, 8, "PCMA", 8000, null, "rtsp://192.168.0.60:554/stream1/track2")),
        ["tplink-tapo-sdp-h265-application-tp-link.sdp"] = new(
            "rtsp://192.168.2.29:554/stream1", null, Skipped: 1, // m=application/TP-LINK smart/1
            new(Video, 96, "H265", 90000, null, "rtsp://192.168.2.29:554/stream1/track1", HasFmtp: true),
            new(Audio, 8, "PCMA", 8000, null, "rtsp://192.168.2.29:554/stream1/track2")),
        ["ubiquiti-unifi-sdp-two-audio-same-pt96.sdp"] = new(
            "rtsp://192.168.0.1:7447/68D79AE46148_0", null, Skipped: 0, // both audio tracks keep their own rtpmap
            new(Audio, 96, "MPEG4-GENERIC", 48000, 1, "rtsp://192.168.0.1:7447/68D79AE46148_0/trackID=0", HasFmtp: true),
            new(Audio, 96, "OPUS", 48000, 2, "rtsp://192.168.0.1:7447/68D79AE46148_0/trackID=1"),
            new(Video, 97, "H264", 90000, null, "rtsp://192.168.0.1:7447/68D79AE46148_0/trackID=2", HasFmtp: true)),
        ["uniview-ipc2122lb-sdp-empty-c-address-metadata.sdp"] = new(
            "rtsp://10.0.0.1/media/video1", null, Skipped: 1,
            new Track(Video, 105, "H264", 90000, null, "rtsp://10.0.0.1/media/video1/video", HasFmtp: true)),
        ["verint-ewr52b-sdp-origin-nettype-ip.sdp"] = new(
            "rtsp://192.168.1.1:554/c266233d-e0e5-414f-9c57-9ed9d187c969", null, Skipped: 0,
            new Track(Video, 105, "H264", 90000, null, "rtsp://192.168.1.1:554/c266233d-e0e5-414f-9c57-9ed9d187c969/Video", HasFmtp: true)),
        ["vurix-nvr-sdp-ipv4-addrtype.sdp"] = new(
            "rtsp://10.10.10.10:5556/vurix/1414/0", null, Skipped: 0,
            new Track(Video, 96, "H264", 90000, null, "rtsp://10.10.10.10:5556/vurix/1414/0/video", HasFmtp: true)),
        ["vz-smart-ipc-sdp-empty-sprop-m-vzinfo.sdp"] = new(
            "rtsp://192.168.1.100/live1", null, Skipped: 1, // m=vzinfo; empty sprop is still a track
            new(Video, 96, "H264", 90000, null, "rtsp://192.168.1.100/live1/track1", HasFmtp: true),
            new(Audio, 0, "PCMU", 8000, null, "rtsp://192.168.1.100/live1/track2")),
        ["ycam-bullet-hd-sdp-negative-origin-mp4v-iod.sdp"] = new(
            "rtsp://192.168.221.104/live", null, Skipped: 0,
            new Track(Video, 96, "MP4V-ES", 90000, null, "rtsp://192.168.221.104/live/trackID=1", HasFmtp: true)),

        // ---- DESCRIBE 200 captures: relative controls hang off Content-Base, by appending as ffmpeg and live555 do.
        ["axis-gst-describe-200-svg-metadata-track-query-controls.rtsp"] = new(
            "rtsp://192.168.0.90/axis-media/media.amp?video=1&audio=1&svg=on", "rtsp://192.168.0.90/axis-media/media.amp/", Skipped: 1, // SVG overlay
            new(Video, 96, "H264", 90000, null, "rtsp://192.168.0.90/axis-media/media.amp/stream=0?video=1&audio=1&svg=on", HasFmtp: true),
            new(Audio, 97, "MPEG4-GENERIC", 16000, 1, "rtsp://192.168.0.90/axis-media/media.amp/stream=1?video=1&audio=1&svg=on", HasFmtp: true)),
        ["dahua-ipc-describe-200-h264-aac-onvif-metadata.rtsp"] = new(
            "rtsp://192.168.5.111:554/cam/realmonitor?channel=1&subtype=1&unicast=true&proto=Onvif",
            "rtsp://192.168.5.111:554/cam/realmonitor?channel=1&subtype=1&unicast=true&proto=Onvif/", Skipped: 1,
            new(Video, 96, "H264", 90000, null, "rtsp://192.168.5.111:554/cam/realmonitor?channel=1&subtype=1&unicast=true&proto=Onvif/trackID=0", HasFmtp: true),
            new(Audio, 97, "MPEG4-GENERIC", 48000, null, "rtsp://192.168.5.111:554/cam/realmonitor?channel=1&subtype=1&unicast=true&proto=Onvif/trackID=1", HasFmtp: true)),
        ["dahua-ipc-describe-200-h265-pcma-content-base-query.rtsp"] = new(
            "rtsp://cam-driveway/cam/realmonitor?channel=1&subtype=2", "rtsp://cam-driveway/cam/realmonitor?channel=1&subtype=2/", Skipped: 0,
            new(Video, 98, "H265", 90000, null, "rtsp://cam-driveway/cam/realmonitor?channel=1&subtype=2/trackID=0", HasFmtp: true),
            new(Audio, 8, "PCMA", 8000, null, "rtsp://cam-driveway/cam/realmonitor?channel=1&subtype=2/trackID=1")),
        ["foscam-describe-200-live555-port65534-audio-no-rtpmap.rtsp"] = new(
            "rtsp://192.168.5.107:65534/videoMain", "rtsp://192.168.5.107:65534/videoMain/", Skipped: 0,
            new(Video, 96, "H264", 90000, null, "rtsp://192.168.5.107:65534/videoMain/track1", HasFmtp: true),
            new(Audio, 0, "PCMU", 8000, null, "rtsp://192.168.5.107:65534/videoMain/track2")),
        ["gwsecurity-gw4089ip-describe-200-content-base-query-bogus-plid.rtsp"] = new(
            "rtsp://192.168.1.110:5050/H264?channel=1&subtype=0&unicast=true&proto=Onvif",
            "rtsp://192.168.1.110:5050/H264?channel=1&subtype=0&unicast=true&proto=Onvif", Skipped: 0,
            new(Video, 96, "H264", 90000, null, "rtsp://192.168.1.110:5050/H264?channel=1&subtype=0&unicast=true&proto=Onvif/video", HasFmtp: true),
            new(Audio, 8, "PCMU", 8000, 1, "rtsp://192.168.1.110:5050/H264?channel=1&subtype=0&unicast=true&proto=Onvif/audio", HasFmtp: true)), // rtpmap wins over static PT 8
        ["hikvision-ipc-c2875-full-session-digest-udp.rtsp"] = new(
            "rtsp://192.168.10.147:554", "rtsp://192.168.10.147:554/", Skipped: 0,
            new(Video, 96, "H264", 90000, null, "rtsp://192.168.10.147:554/trackID=1", HasFmtp: true),
            new(Audio, 104, "MPEG4-GENERIC", 16000, 1, "rtsp://192.168.10.147:554/trackID=2", HasFmtp: true)),
        ["hikvision-ipc-describe-200-absolute-control-onvif-metadata.rtsp"] = new(
            "rtsp://192.168.5.106:554/Streaming/Channels/101?transportmode=unicast&profile=Profile_1",
            "rtsp://192.168.5.106:554/Streaming/Channels/101/", Skipped: 1,
            new Track(Video, 96, "H264", 90000, null, "rtsp://192.168.5.106:554/Streaming/Channels/101/trackID=1?transportmode=unicast&profile=Profile_1", HasFmtp: true)),
        ["reolink-describe-200-live555-aac.rtsp"] = new(
            "rtsp://192.168.5.206:554/h264Preview_01_main", "rtsp://192.168.5.206/h264Preview_01_main/", Skipped: 0,
            new(Video, 96, "H264", 90000, null, "rtsp://192.168.5.206/h264Preview_01_main/trackID=1", HasFmtp: true),
            new(Audio, 97, "MPEG4-GENERIC", 16000, null, "rtsp://192.168.5.206/h264Preview_01_main/trackID=2", HasFmtp: true)),
        ["vstarcam-describe-200-mline-trailing-tab.rtsp"] = new(
            "rtsp://192.168.1.198:10554/tcp/av0_0", null, Skipped: 0, // no Content-Base: the request URL is the base
            new(Video, 96, "H264", 90000, null, "rtsp://192.168.1.198:10554/tcp/av0_0/track0", HasFmtp: true),
            new(Audio, 8, "PCMA", 8000, 1, "rtsp://192.168.1.198:10554/tcp/av0_0/track1")),
        ["xiongmai-h264dvr-describe-200-framerate-0s.rtsp"] = new(
            "rtsp://192.168.1.10:554/camera", "rtsp://127.0.0.1:554/camera", Skipped: 0, // audio PT 8 without rtpmap
            new(Video, 96, "H264", 90000, null, "rtsp://127.0.0.1:554/camera/trackID=3", HasFmtp: true),
            new(Audio, 8, "PCMA", 8000, null, "rtsp://127.0.0.1:554/camera/trackID=4")),
    };

    public static TheoryData<string> Files => new(Cases.Keys.Order(StringComparer.Ordinal));

    /// <summary>The SDP text and Content-Base of a case file (an .sdp, or the DESCRIBE answer inside an .rtsp).</summary>
    internal static (string Sdp, string? ContentBase) Load(string file)
    {
        var text = CameraFiles.ReadText(file);
        if (file.EndsWith(".sdp", StringComparison.Ordinal))
        {
            return (text, null);
        }

        return CameraFiles.ExtractDescribeAnswer(text) ?? throw new InvalidOperationException(file + " has no DESCRIBE 200 answer");
    }

    internal static TrackSelection SelectFor(string file)
    {
        var (sdp, contentBase) = Load(file);
        var c = Cases[file];
        return TrackSelector.Select(SessionDescription.Parse(sdp), new Uri(c.RequestUrl), contentBase is null ? null : new Uri(contentBase));
    }

    [Fact]
    public void Every_camera_file_with_an_sdp_has_a_case()
    {
        var withSdp = System.IO.Directory.GetFiles(CameraFiles.Directory)
            .Select(Path.GetFileName)
            .Where(name => name!.EndsWith(".sdp", StringComparison.Ordinal)
                || (name.EndsWith(".rtsp", StringComparison.Ordinal) && CameraFiles.ExtractDescribeAnswer(CameraFiles.ReadText(name)) is not null))
            .Order(StringComparer.Ordinal)
            .ToArray();

        Assert.Equal(38, withSdp.Length); // 28 .sdp files and 10 captures holding a DESCRIBE answer
        Assert.Equal(withSdp, Cases.Keys.Order(StringComparer.Ordinal).ToArray());
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Camera_sdp_parses_and_yields_the_expected_tracks(string file)
    {
        var expected = Cases[file];
        var (_, contentBase) = Load(file);
        Assert.Equal(expected.ContentBase, contentBase);

        var selection = SelectFor(file);

        var actual = selection.Tracks
            .Select(t => new Track(t.Kind, t.PayloadType, t.EncodingName, t.ClockRate, t.Channels, t.ControlUrl, t.Fmtp is not null))
            .ToArray();
        Assert.Equal(expected.Tracks, actual);
        Assert.Equal(Enumerable.Range(0, expected.Tracks.Length), selection.Tracks.Select(t => t.Index));
        Assert.Equal(expected.Skipped, selection.Skipped.Count);
        Assert.All(selection.Skipped, reason => Assert.False(string.IsNullOrWhiteSpace(reason)));
    }

    [Theory]
    [InlineData("aces-ssdrtspserver-sdp-onvif-backchannel-metadata.sdp", "backchannel", "application")]
    [InlineData("avigilon-sdp-backchannel-opus-bogus-c-line.sdp", "backchannel", "no rtpmap")]
    [InlineData("reolink-bcstreaming-sdp-backchannel-sendonly-pcma.sdp", "backchannel")]
    [InlineData("tplink-tapo-sdp-h265-application-tp-link.sdp", "application/TP-LINK")]
    [InlineData("live555-ipcam-sdp-mjpeg-metadata-m-vana.sdp", "VND.ONVIF.METADATA", "vana")]
    [InlineData("hanwha-wisenet-nvr-sdp-no-origin-no-timing-m-text.sdp", "text")]
    public void Skipped_sections_say_why(string file, params string[] fragments)
    {
        var skipped = string.Join("\n", SelectFor(file).Skipped);

        Assert.All(fragments, f => Assert.Contains(f, skipped, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("generic-ipc-sdp-h264-fmtp-after-audio-section.sdp", 0, "packetization-mode=1;profile-level-id=64001F;sprop-parameter-sets=Z0IAH5WoFAFuQA==,aM48gA==")]
    [InlineData("dahua-ipc-describe-200-h265-pcma-content-base-query.rtsp", 0, "profile-id=1;sprop-sps=QgEBAWAAAAMAsAAAAwAAAwBaoAWCAeFja5JFL83BQYFBAAADAAEAAAMADKE=;sprop-pps=RAHA8saNA7NA;sprop-vps=QAEMAf//AWAAAAMAsAAAAwAAAwBarAwAAAMABAAAAwAyqA==")]
    [InlineData("vz-smart-ipc-sdp-empty-sprop-m-vzinfo.sdp", 0, "packetization-mode=1;profile-level-id=000042;sprop-parameter-sets=")]
    [InlineData("ids-ueye-sdp-sendonly-fmtp-trailing-semicolon.sdp", 0, "packetization-mode=1; profile-level-id=4D4028; sprop-parameter-sets=Z01AKI2NQDwBE/LgLcBAQFAAAD6AAARlDoYAUVAABfXgu8uNDACioAAL68F3lwo=,aO44gA==;")]
    [InlineData("ubiquiti-unifi-sdp-two-audio-same-pt96.sdp", 0, "streamtype=5; profile-level-id=15; mode=AAC-hbr; config=1188; SizeLength=13; IndexLength=3; IndexDeltaLength=3;")]
    [InlineData("gwsecurity-gw4089ip-describe-200-content-base-query-bogus-plid.rtsp", 1, "vad=no")]
    public void Track_fmtp_is_the_cameras_text_verbatim(string file, int trackIndex, string fmtp)
    {
        Assert.Equal(fmtp, SelectFor(file).Tracks[trackIndex].Fmtp);
    }
}
