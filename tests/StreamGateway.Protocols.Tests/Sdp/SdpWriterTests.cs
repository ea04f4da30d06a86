using StreamGateway.Protocols.Sdp;

namespace StreamGateway.Protocols.Tests.Sdp;

public sealed class SdpWriterTests
{
    private const string GatewayUrl = "rtsp://gw.example:8554/school-1/gate";

    public static TheoryData<string> Files => CameraTrackSelectionTests.Files;

    [Theory]
    [MemberData(nameof(Files))]
    public void Written_sdp_reparses_to_the_same_tracks(string file)
    {
        var tracks = CameraTrackSelectionTests.SelectFor(file).Tracks;

        var text = SdpWriter.Write(tracks, "school-1/gate", "192.0.2.10");
        var again = TrackSelector.Select(SessionDescription.Parse(text), new Uri(GatewayUrl), null);

        Assert.Empty(again.Skipped);
        Assert.Equal(
            tracks.Select(t => t with { ControlUrl = $"{GatewayUrl}/trackID={t.Index}" }),
            again.Tracks);
    }

    [Fact]
    public void Writes_the_session_header_and_each_track()
    {
        var tracks = new[]
        {
            new TrackDescription { Index = 0, Kind = MediaKind.Video, PayloadType = 96, EncodingName = "H264", ClockRate = 90000, Fmtp = "packetization-mode=1; sprop-parameter-sets=Z0IAKp2oHgCJ+WbgICAoAAADAAgAAAMBlCA=,aM48gA==", ControlUrl = "rtsp://cam/1" },
            new TrackDescription { Index = 1, Kind = MediaKind.Audio, PayloadType = 97, EncodingName = "MPEG4-GENERIC", ClockRate = 16000, Channels = 1, ControlUrl = "rtsp://cam/2" },
        };

        var text = SdpWriter.Write(tracks, "school-1/gate", "192.0.2.10");

        var lines = text.Split("\r\n");
        Assert.Equal("v=0", lines[0]);
        Assert.Matches(@"^o=- \d+ 1 IN IP4 192\.0\.2\.10$", lines[1]);
        Assert.Equal(
            ["s=school-1/gate", "c=IN IP4 0.0.0.0", "t=0 0", "a=control:*", "a=range:npt=0-",
             "m=video 0 RTP/AVP 96", "a=rtpmap:96 H264/90000",
             "a=fmtp:96 packetization-mode=1; sprop-parameter-sets=Z0IAKp2oHgCJ+WbgICAoAAADAAgAAAMBlCA=,aM48gA==",
             "a=control:trackID=0",
             "m=audio 0 RTP/AVP 97", "a=rtpmap:97 MPEG4-GENERIC/16000/1", "a=control:trackID=1", ""],
            lines[2..]);
        Assert.Equal(text, SdpWriter.Write(tracks, "school-1/gate", "192.0.2.10"));
    }

    [Fact]
    public void Line_breaks_in_values_cannot_inject_sdp_lines()
    {
        var track = new TrackDescription { Index = 0, Kind = MediaKind.Video, PayloadType = 96, EncodingName = "H264", ClockRate = 90000, Fmtp = "a=1\r\na=control:evil", ControlUrl = "rtsp://cam/1" };

        var text = SdpWriter.Write([track], "name\r\nm=audio 0 RTP/AVP 0", "10.0.0.1");

        Assert.DoesNotContain("\r\na=control:evil", text, StringComparison.Ordinal);
        Assert.Single(SessionDescription.Parse(text).Media);
    }
}
