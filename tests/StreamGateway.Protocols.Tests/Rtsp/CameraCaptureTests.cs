using System.Buffers;
using StreamGateway.Protocols.Auth;
using StreamGateway.Protocols.Rtsp;
using StreamGateway.Protocols.Tests.Support;

namespace StreamGateway.Protocols.Tests.Rtsp;

/// <summary>
/// Every .rtsp capture in tests/testdata/cameras, parsed whole, one byte per segment and prefix by prefix.
/// PROVENANCE.md explains each file's quirk and why some were stored with LF only.
/// </summary>
public sealed class CameraCaptureTests
{
    /// <summary>How a file is turned into the bytes the camera sent.</summary>
    public enum Preparation
    {
        /// <summary>The bytes as stored (CRLF captures, or LF files parsed as LF to prove bare LF is accepted).</summary>
        AsStored,

        /// <summary>LF to CRLF, as the source's own test did; needed where Content-Length counts CRLF bytes.</summary>
        Crlf,

        /// <summary>CRLF, plus the blank line the last message lost when it was pasted into markdown.</summary>
        CrlfTerminated,
    }

    /// <summary>One expected message: a request method or a response status, with its CSeq.</summary>
    public sealed record Expected(string StartToken, int CSeq)
    {
        public static Expected Response(int status, int cseq) => new(status.ToString(System.Globalization.CultureInfo.InvariantCulture), cseq);

        public static Expected Request(string method, int cseq) => new(method, cseq);
    }

    public sealed record CaptureCase(
        Preparation Preparation,
        Expected[] Messages,
        OperationStatus FinalStatus,
        Action<ParseRunView> Quirk);

    /// <summary>Public view of a run (the harness type is internal).</summary>
    public sealed record ParseRunView(IReadOnlyList<RtspMessage> Messages, string? FinalError, byte[] Input, long Consumed)
    {
        public RtspResponse Response(int index) => Assert.IsType<RtspResponse>(Messages[index]);

        public RtspRequest Request(int index) => Assert.IsType<RtspRequest>(Messages[index]);
    }

    private static readonly Dictionary<string, CaptureCase> Cases = new(StringComparer.Ordinal)
    {
        ["axis-gst-describe-200-svg-metadata-track-query-controls.rtsp"] = new(
            Preparation.Crlf, [Expected.Response(200, 0)], OperationStatus.NeedMoreData, run =>
            {
                var r = run.Response(0);
                Assert.Equal("rtsp://192.168.0.90/axis-media/media.amp/", r.Headers.Get("Content-Base"));

                // Content-Length says 1073 but the CRLF body is 1076 bytes: the parser takes 1073, the
                // remaining 3 bytes are line breaks that the next parse skips.
                Assert.Equal(1073, r.Body.Length);
                Assert.StartsWith("v=0\r\n", r.BodyText, StringComparison.Ordinal);
                Assert.Contains("image.svg.data/90000", r.BodyText, StringComparison.Ordinal);
                Assert.All(run.Input[(int)run.Consumed..], b => Assert.True(b is (byte)'\r' or (byte)'\n'));
                Assert.Equal(3, run.Input.Length - run.Consumed);

                // As stored (LF) the body is only 1048 bytes, so the parser keeps waiting for the rest.
                var asStored = CameraTestData.ReadBytes("axis-gst-describe-200-svg-metadata-track-query-controls.rtsp");
                var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(asStored));
                Assert.Equal(OperationStatus.NeedMoreData, RtspParser.TryParseMessage(ref reader, out _, out _));
            }),

        ["axis-gst-setup-200-udp-ssrc-mode-quoted.rtsp"] = new(
            Preparation.AsStored, [Expected.Response(200, 1)], OperationStatus.NeedMoreData, run =>
            {
                var t = SingleTransport(run.Response(0));
                Assert.Equal("RTP/AVP", t.Protocol);
                Assert.False(t.IsTcp);
                Assert.Equal((40472, 40473), t.ClientPort);
                Assert.Equal((50000, 50001), t.ServerPort);
                Assert.Equal(0x363E6C43u, t.Ssrc);
                Assert.Equal("PLAY", t.Mode);
                AssertSession(run.Response(0), "Bk48Ak7wjcWaAgRD", 60);
            }),

        ["dahua-ipc-describe-200-h264-aac-onvif-metadata.rtsp"] = new(
            Preparation.AsStored, [Expected.Response(200, 3)], OperationStatus.NeedMoreData, run =>
            {
                var r = run.Response(0);
                Assert.Equal("rtsp://192.168.5.111:554/cam/realmonitor?channel=1&subtype=1&unicast=true&proto=Onvif/", r.Headers.Get("Content-Base"));
                Assert.Equal(705, r.Body.Length);
                Assert.EndsWith("a=recvonly\r\n", r.BodyText, StringComparison.Ordinal);
                Assert.Equal(run.Input.Length, run.Consumed);
            }),

        ["dahua-ipc-describe-200-h265-pcma-content-base-query.rtsp"] = new(
            Preparation.AsStored, [Expected.Response(200, 3)], OperationStatus.NeedMoreData, run =>
            {
                var r = run.Response(0);
                Assert.Equal("rtsp://cam-driveway/cam/realmonitor?channel=1&subtype=2/", r.Headers.Get("content-base"));
                Assert.Equal(531, r.Body.Length);
                Assert.Contains("a=rtpmap:98 H265/90000", r.BodyText, StringComparison.Ordinal);
            }),

        ["dahua-ipc-options-200-session-header.rtsp"] = new(
            Preparation.AsStored, [Expected.Response(200, 5)], OperationStatus.NeedMoreData, run =>
            {
                AssertSession(run.Response(0), "136527041864", null);
                Assert.Contains("GET_PARAMETER", run.Response(0).Headers.Get("Public"), StringComparison.Ordinal);
                Assert.Equal("Rtsp Server/3.0", run.Response(0).Headers.Get("Server"));
            }),

        ["dahua-ipc-play-200-rtpinfo-three-tracks.rtsp"] = new(
            Preparation.AsStored, [Expected.Response(200, 7)], OperationStatus.NeedMoreData, run =>
            {
                var entries = RtpInfoHeader.Parse(run.Response(0).Headers.Get("RTP-Info")!);
                Assert.Equal(
                    [
                        new RtpInfoEntry("trackID=0", 47121, 3475222385),
                        new RtpInfoEntry("trackID=1", 45186, 2234446919),
                        new RtpInfoEntry("trackID=4", 36583, 816418535),
                    ],
                    entries);
            }),

        ["dahua-ipc-setup-200-tcp-ssrc-timeout60.rtsp"] = new(
            Preparation.AsStored, [Expected.Response(200, 4)], OperationStatus.NeedMoreData, run =>
            {
                AssertSession(run.Response(0), "634214675641", 60);
                var t = SingleTransport(run.Response(0));
                Assert.True(t.IsTcp);
                Assert.Equal((0, 1), t.Interleaved);
                Assert.Equal(0x30A98EE7u, t.Ssrc);
            }),

        // As stored: the block comment's closing "*/" follows the last message, so that one is rejected.
        ["dahua-options-401-basic-only-then-200.rtsp"] = new(
            Preparation.AsStored,
            [Expected.Request("OPTIONS", 1), Expected.Response(401, 1), Expected.Request("OPTIONS", 2)],
            OperationStatus.InvalidData, run =>
            {
                Assert.Contains("colon", run.FinalError, StringComparison.Ordinal);
                Assert.Equal("rtsp://35.13.202.5:554/cam/realmonitor?channel=1&subtype=0", run.Request(0).Uri);

                // The camera offers Basic only; our authenticator reproduces the client's header (admin:admin).
                var auth = new ClientAuthenticator("admin", "admin");
                Assert.True(auth.TryAccept(run.Response(1).Headers.GetAll("WWW-Authenticate")));
                Assert.Equal("Basic", auth.Scheme);
                Assert.Equal(run.Request(2).Headers.Get("Authorization"), auth.CreateAuthorization("OPTIONS", run.Request(2).Uri));

                // Without the stray comment line the final 200 parses too.
                var fixedInput = run.Input.AsSpan(0, run.Input.Length - "*/\n".Length).ToArray();
                var fixedRun = RtspParseHarness.ParseEveryWay([.. fixedInput, (byte)'\n']);
                Assert.Equal(200, Assert.IsType<RtspResponse>(fixedRun.Messages[3]).StatusCode);
                Assert.Equal(2, fixedRun.Messages[3].CSeq);
            }),

        ["foscam-describe-200-live555-port65534-audio-no-rtpmap.rtsp"] = new(
            Preparation.AsStored, [Expected.Response(200, 2)], OperationStatus.NeedMoreData, run =>
            {
                Assert.Equal("rtsp://192.168.5.107:65534/videoMain/", run.Response(0).Headers.Get("Content-Base"));
                Assert.Equal(518, run.Response(0).Body.Length);
            }),

        ["gwsecurity-gw4089ip-describe-200-content-base-query-bogus-plid.rtsp"] = new(
            Preparation.AsStored, [Expected.Response(200, 1)], OperationStatus.NeedMoreData, run =>
            {
                var r = run.Response(0);
                Assert.Equal("Server", r.Headers.First().Key); // CSeq is not first
                Assert.Equal("rtsp://192.168.1.110:5050/H264?channel=1&subtype=0&unicast=true&proto=Onvif", r.Headers.Get("Content-Base"));
                Assert.Equal(451, r.Body.Length);
            }),

        ["gwsecurity-gw4089ip-play-200-rtpinfo-url-mismatch-timeout120.rtsp"] = new(
            Preparation.AsStored, [Expected.Response(200, 4)], OperationStatus.NeedMoreData, run =>
            {
                AssertSession(run.Response(0), "9a90de54", 120);
                var entry = Assert.Single(RtpInfoHeader.Parse(run.Response(0).Headers.Get("RTP-Info")!));
                Assert.Equal(new RtpInfoEntry("rtsp://192.168.1.110:5050/H264/video", 271, 1621990950), entry);
            }),

        ["gwsecurity-gw4089ip-setup-200-interleaved-2-3-session-space.rtsp"] = new(
            Preparation.AsStored, [Expected.Response(200, 3)], OperationStatus.NeedMoreData, run =>
            {
                AssertSession(run.Response(0), "9a90de54", 60);
                var t = SingleTransport(run.Response(0));
                Assert.True(t.IsTcp);
                Assert.Equal((2, 3), t.Interleaved);
                Assert.Equal("192.168.1.210", t.Destination);
                Assert.Equal("192.168.1.110", t.Source);
            }),

        // Markdown stored it LF-only; the DESCRIBE body's Content-Length (842) counts CRLF line ends.
        ["hikvision-ipc-c2875-full-session-digest-udp.rtsp"] = new(
            Preparation.CrlfTerminated,
            [
                Expected.Request("OPTIONS", 1), Expected.Response(200, 1),
                Expected.Request("DESCRIBE", 2), Expected.Response(401, 2),
                Expected.Request("DESCRIBE", 3), Expected.Response(200, 3),
                Expected.Request("SETUP", 4), Expected.Response(200, 4),
                Expected.Request("SETUP", 5), Expected.Response(200, 5),
                Expected.Request("PLAY", 6), Expected.Response(200, 6),
                Expected.Request("TEARDOWN", 7), Expected.Response(200, 7),
            ],
            OperationStatus.NeedMoreData, run =>
            {
                Assert.Equal("rtsp://192.168.10.147:554", run.Request(0).Uri); // no path at all

                var challenge = Assert.Single(AuthChallenge.Parse(run.Response(3).Headers.Get("WWW-Authenticate")!));
                Assert.Equal("Digest", challenge.Scheme);
                Assert.Equal("IP Camera(C2875)", challenge.Realm);
                Assert.Equal("938032d91ffc30ca80b5da94c18887ac", challenge.Nonce);
                Assert.False(challenge.Stale);

                Assert.True(AuthorizationHeader.TryParse(run.Request(4).Headers.Get("Authorization")!, out var scheme, out var parameters));
                Assert.Equal("Digest", scheme);
                Assert.Equal("admin", parameters["username"]);
                Assert.Equal("rtsp://192.168.10.147:554", parameters["uri"]);

                Assert.Equal(842, run.Response(5).Body.Length);
                Assert.EndsWith("a=appversion:1.0\r\n", run.Response(5).BodyText, StringComparison.Ordinal);

                AssertSession(run.Response(7), "708732579", 60);
                var t = SingleTransport(run.Response(7));
                Assert.Equal("RTP/AVP/UDP", t.Protocol);
                Assert.Equal((24230, 24231), t.ClientPort);
                Assert.Equal((8318, 8319), t.ServerPort);
                Assert.Equal(0x1cdebfafu, t.Ssrc);
                Assert.Equal("PLAY", t.Mode);

                Assert.Equal(
                    [
                        new RtpInfoEntry("rtsp://192.168.10.147:554/trackID=1", 11785, 749374048),
                        new RtpInfoEntry("rtsp://192.168.10.147:554/trackID=2", 22266, 1660321632),
                    ],
                    RtpInfoHeader.Parse(run.Response(11).Headers.Get("RTP-Info")!));

                // As stored, the LF body is 24 bytes short of Content-Length, so the parser reads into the next
                // SETUP and then meets the rest of its request line: rejected, never silently misparsed twice.
                var asStored = RtspParseHarness.ParseSequentially(new ReadOnlySequence<byte>(
                    CameraTestData.ReadBytes("hikvision-ipc-c2875-full-session-digest-udp.rtsp")));
                Assert.Equal(6, asStored.Messages.Count);
                Assert.Equal(OperationStatus.InvalidData, asStored.FinalStatus);
            }),

        ["hikvision-ipc-describe-200-absolute-control-onvif-metadata.rtsp"] = new(
            Preparation.AsStored, [Expected.Response(200, 1)], OperationStatus.NeedMoreData, run =>
            {
                Assert.Equal("rtsp://192.168.5.106:554/Streaming/Channels/101/", run.Response(0).Headers.Get("Content-Base"));
                Assert.Equal(902, run.Response(0).Body.Length);
            }),

        ["hikvision-ipc-setup-200-session-whitespace-mode-quoted.rtsp"] = new(
            Preparation.AsStored, [Expected.Response(200, 2)], OperationStatus.NeedMoreData, run =>
            {
                var r = run.Response(0);
                AssertSession(r, "708345999", 60);
                var t = SingleTransport(r);
                Assert.True(t.IsTcp);
                Assert.Equal((0, 1), t.Interleaved);
                Assert.Equal(0x4cacc3d1u, t.Ssrc);
                Assert.Equal("PLAY", t.Mode);
                Assert.Equal("Wed, May 05 2021 21:51:17 GMT", r.Headers.Get("Date"));
            }),

        ["reolink-describe-200-live555-aac.rtsp"] = new(
            Preparation.AsStored, [Expected.Response(200, 3)], OperationStatus.NeedMoreData, run =>
            {
                Assert.Equal("rtsp://192.168.5.206/h264Preview_01_main/", run.Response(0).Headers.Get("Content-Base"));
                Assert.Equal(734, run.Response(0).Body.Length);
            }),

        ["reolink-play-200-rtpinfo-ssrc.rtsp"] = new(
            Preparation.AsStored, [Expected.Response(200, 6)], OperationStatus.NeedMoreData, run =>
            {
                AssertSession(run.Response(0), "F8F8E425", null);
                Assert.Equal(
                    [new RtpInfoEntry("trackID=1", 16852, 1070938629), new RtpInfoEntry("trackID=2", 39409, 3075976528)],
                    RtpInfoHeader.Parse(run.Response(0).Headers.Get("RTP-Info")!));
            }),

        ["reolink-setup-200-tcp-destination-source.rtsp"] = new(
            Preparation.AsStored, [Expected.Response(200, 4)], OperationStatus.NeedMoreData, run =>
            {
                AssertSession(run.Response(0), "F8F8E425", null);
                var t = SingleTransport(run.Response(0));
                Assert.Equal("RTP/AVP/TCP", t.Protocol);
                Assert.Equal((0, 1), t.Interleaved);
                Assert.Equal("192.168.1.210", t.Destination);
                Assert.Equal("192.168.5.206", t.Source);
                Assert.Null(t.Ssrc);
            }),

        ["vstarcam-describe-200-mline-trailing-tab.rtsp"] = new(
            Preparation.AsStored, [Expected.Response(200, 2)], OperationStatus.NeedMoreData, run =>
            {
                Assert.Equal("2", run.Response(0).Headers.Single(h => h.Key == "Cseq").Value);
                Assert.Equal(403, run.Response(0).Body.Length);
                Assert.Contains("m=audio 0 RTP/AVP 8\t \r\n", run.Response(0).BodyText, StringComparison.Ordinal);
                Assert.EndsWith("\r\n\r\n", run.Response(0).BodyText, StringComparison.Ordinal);
            }),

        ["xiongmai-h264dvr-describe-200-framerate-0s.rtsp"] = new(
            Preparation.AsStored, [Expected.Response(200, 3)], OperationStatus.NeedMoreData, run =>
            {
                Assert.Equal("H264DVR 1.0", run.Response(0).Headers.Get("Server"));
                Assert.Equal(418, run.Response(0).Body.Length);
                Assert.Contains("a=framerate:0S", run.Response(0).BodyText, StringComparison.Ordinal);
            }),

        ["xiongmai-h264dvr-options-200-lowercase-cseq.rtsp"] = new(
            Preparation.AsStored, [Expected.Response(200, 1)], OperationStatus.NeedMoreData, run =>
            {
                Assert.Equal("cseq", run.Response(0).Headers.Single(h => h.Value == "1").Key);
                Assert.Contains("GET_PARAMETER", run.Response(0).Headers.Get("PUBLIC"), StringComparison.Ordinal);
            }),

        ["xiongmai-h264dvr-setup-200-udp-ssrc0-source-localhost.rtsp"] = new(
            Preparation.AsStored, [Expected.Response(200, 4)], OperationStatus.NeedMoreData, run =>
            {
                AssertSession(run.Response(0), "231970", 60);
                var t = SingleTransport(run.Response(0));
                Assert.False(t.IsTcp);
                Assert.Equal("127.0.0.1", t.Source);
                Assert.Equal(0u, t.Ssrc);
                Assert.Equal("PLAY", t.Mode);
                Assert.Equal((18714, 18715), t.ClientPort);
                Assert.Equal((40004, 40005), t.ServerPort);
            }),
    };

    public static TheoryData<string> CaptureFiles => new(Cases.Keys.Order(StringComparer.Ordinal));

    [Fact]
    public void Every_rtsp_capture_in_testdata_has_a_case()
    {
        Assert.Equal(CameraTestData.FileNames(".rtsp"), Cases.Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(CaptureFiles))]
    public void Parses_camera_capture(string fileName)
    {
        var c = Cases[fileName];
        var stored = CameraTestData.ReadBytes(fileName);
        var input = c.Preparation switch
        {
            Preparation.AsStored => stored,
            Preparation.Crlf => CameraTestData.ToCrlf(stored),
            _ => [.. CameraTestData.ToCrlf(stored), (byte)'\r', (byte)'\n'],
        };

        var run = RtspParseHarness.ParseEveryWay(input);

        Assert.Equal(c.FinalStatus, run.FinalStatus);
        var actual = run.Messages.Select(m => m switch
        {
            RtspRequest q => Expected.Request(q.Method, m.CSeq ?? -1),
            RtspResponse r => Expected.Response(r.StatusCode, m.CSeq ?? -1),
            _ => throw new InvalidOperationException(),
        });
        Assert.Equal(c.Messages, actual);
        c.Quirk(new ParseRunView(run.Messages, run.FinalError, input, run.Consumed));

        // What we serialise parses back to the same message.
        foreach (var message in run.Messages)
        {
            var again = Assert.Single(RtspParseHarness.ParseSequentially(new ReadOnlySequence<byte>(message.Serialize())).Messages);
            Assert.Equal(message.Headers.Where(h => h.Key != "Content-Length"), again.Headers.Where(h => h.Key != "Content-Length"));
            Assert.Equal(message.Body.ToArray(), again.Body.ToArray());
        }
    }

    /// <summary>LF-only captures parsed as stored (the others already convert, or are CRLF on disk).</summary>
    public static TheoryData<string> LfOnlyCaptureFiles => new(Cases
        .Where(c => c.Value.Preparation == Preparation.AsStored && !CameraTestData.ReadBytes(c.Key).Contains((byte)'\r'))
        .Select(c => c.Key)
        .Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(LfOnlyCaptureFiles))]
    public void Parses_lf_only_capture_the_same_after_crlf_conversion(string fileName)
    {
        var stored = CameraTestData.ReadBytes(fileName);

        var lf = RtspParseHarness.ParseSequentially(new ReadOnlySequence<byte>(stored));
        var crlf = RtspParseHarness.ParseSequentially(new ReadOnlySequence<byte>(CameraTestData.ToCrlf(stored)));

        Assert.Equal(lf.Messages.Select(m => m.Serialize()), crlf.Messages.Select(m => m.Serialize()));
        Assert.Equal(lf.FinalStatus, crlf.FinalStatus);
    }

    private static RtspTransport SingleTransport(RtspMessage message)
        => Assert.Single(RtspTransport.ParseList(message.Headers.Get("Transport")!));

    private static void AssertSession(RtspMessage message, string id, int? timeout)
    {
        Assert.True(SessionHeader.TryParse(message.Headers.Get("Session")!, out var session));
        Assert.Equal(new SessionHeader(id, timeout), session);
    }
}
