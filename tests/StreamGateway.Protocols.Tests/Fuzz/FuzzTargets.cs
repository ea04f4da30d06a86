using System.Buffers;
using System.Text;
using StreamGateway.Protocols.Auth;
using StreamGateway.Protocols.Codecs;
using StreamGateway.Protocols.Rtp;
using StreamGateway.Protocols.Rtsp;
using StreamGateway.Protocols.Sdp;

namespace StreamGateway.Protocols.Tests.Fuzz;

/// <summary>A parser broke a documented contract (no exception escaped, but the result is impossible).</summary>
internal sealed class FuzzInvariantException(string message) : Exception(message);

/// <summary>
/// One fuzz target per Protocols parser. Shared by the AFL++ harness (tests/StreamGateway.Fuzz links this file)
/// and by the FuzzRegressionTests, so a committed crash input replays through the very code that found it.
/// A target returns normally for every outcome the parser documents (OperationStatus values, false from TryParse,
/// <see cref="SdpFormatException"/> from <see cref="SessionDescription.Parse"/>); anything else escapes: an unexpected
/// exception from the parser, or a <see cref="FuzzInvariantException"/> when a documented promise does not hold
/// (reader untouched on NeedMoreData, same result however the input is segmented, writer output re-parses, ...).
/// </summary>
internal static class FuzzTargets
{
    /// <summary>Target names, as given on the harness command line and used as tests/testdata/fuzz subfolders.</summary>
    public static readonly IReadOnlyDictionary<string, Action<byte[]>> All = new Dictionary<string, Action<byte[]>>(StringComparer.Ordinal)
    {
        ["rtsp-message"] = RtspMessage,
        ["interleaved"] = Interleaved,
        ["transport"] = Transport,
        ["session"] = Session,
        ["www-authenticate"] = WwwAuthenticate,
        ["authorization"] = Authorization,
        ["sdp"] = Sdp,
        ["rtp"] = Rtp,
        ["rtcp"] = Rtcp,
    };

    private const string FuzzPassword = "fuzz-secret-Pa55";

    private static readonly Uri DescribeUri = new("rtsp://192.0.2.10:554/school/camera");

    // Lenient like the parsers' own decoding: invalid bytes become U+FFFD instead of throwing.
    private static readonly Encoding Utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    public static void Run(string target, byte[] data)
    {
        if (!All.TryGetValue(target, out var run))
        {
            throw new ArgumentException($"Unknown fuzz target '{target}'.", nameof(target));
        }

        run(data);
    }

    /// <summary>
    /// RtspParser.TryParseMessage in a loop until NeedMoreData or InvalidData, on one segment and on two segments
    /// split at a point taken from the data; both runs must agree message by message, and every parsed message
    /// must survive Serialize and a re-parse unchanged.
    /// </summary>
    private static void RtspMessage(byte[] data)
    {
        var whole = ParseMessages(new ReadOnlySequence<byte>(data));
        var split = ParseMessages(TwoSegments(data, SplitPoint(data)));
        Check(whole.SequenceEqual(split), "a message parsed differently when the input was split in two segments");
    }

    /// <summary>
    /// The ingest's demultiplexer: skip stray line breaks, then an interleaved frame when the next byte is '$',
    /// else an RTSP message. Frame payloads go to the RTP (even channel) or RTCP (odd channel) readers.
    /// </summary>
    private static void Interleaved(byte[] data)
    {
        var whole = Demultiplex(new ReadOnlySequence<byte>(data), data);
        var split = Demultiplex(TwoSegments(data, SplitPoint(data)), data);
        Check(whole.SequenceEqual(split), "a frame was read differently when the input was split in two segments");
    }

    /// <summary>RtspTransport.TryParse and ParseList; an accepted spec's canonical form parses to the same values.</summary>
    private static void Transport(byte[] data)
    {
        var text = Utf8.GetString(data);
        if (RtspTransport.TryParse(text, out var transport, out var error))
        {
            Check(transport is not null && error is null, "TryParse returned true without a transport");
            CheckTransportRoundTrip(transport!);
        }
        else
        {
            Check(transport is null && error is not null, "TryParse returned false without an error");
        }

        foreach (var item in RtspTransport.ParseList(text))
        {
            CheckTransportRoundTrip(item);
        }
    }

    /// <summary>SessionHeader.TryParse (with a round trip through ToHeaderValue) and RtpInfoHeader.Parse.</summary>
    private static void Session(byte[] data)
    {
        var text = Utf8.GetString(data);
        if (SessionHeader.TryParse(text, out var session))
        {
            Check(session.Id.Length > 0 && !session.Id.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is ',' or ';' or '"'), "session id is empty or holds whitespace, a control character or a separator");
            Check(session.TimeoutSeconds is null or > 0, "session timeout is not positive");
            Check(SessionHeader.TryParse(session.ToHeaderValue(), out var again) && again == session, "Session header does not round-trip");
        }

        foreach (var entry in RtpInfoHeader.Parse(text))
        {
            Check(!string.IsNullOrEmpty(entry.Url), "RTP-Info entry without a url");
        }
    }

    /// <summary>
    /// Each line is one WWW-Authenticate value: AuthChallenge.Parse, then ClientAuthenticator.TryAccept and
    /// CreateAuthorization, whose answer must parse back (server side) with our user name and URI, and must never
    /// carry the password in clear for Digest.
    /// </summary>
    private static void WwwAuthenticate(byte[] data)
    {
        var values = Utf8.GetString(data).Split('\n');
        foreach (var value in values)
        {
            foreach (var challenge in AuthChallenge.Parse(value))
            {
                Check(challenge.Scheme.Length > 0, "challenge with an empty scheme");
                _ = challenge.Realm;
                _ = challenge.Stale;
            }
        }

        var authenticator = new ClientAuthenticator("fuzz-user", FuzzPassword);
        var accepted = authenticator.TryAccept(values);
        Check(!authenticator.ToString().Contains(FuzzPassword, StringComparison.Ordinal), "ToString shows the password");
        var uri = DescribeUri.OriginalString;
        var authorization = authenticator.CreateAuthorization(RtspMethods.Describe, uri);
        if (!accepted)
        {
            Check(authorization is null, "an authorization was made without an accepted challenge");
            return;
        }

        Check(authorization is not null, "no authorization after an accepted challenge");
        Check(AuthorizationHeader.TryParse(authorization!, out var scheme, out var parameters), "our own Authorization header does not parse");
        Check(scheme == authenticator.Scheme, "Authorization scheme differs from the accepted one");
        if (scheme == "Digest")
        {
            Check(!authorization!.Contains(FuzzPassword, StringComparison.Ordinal), "Digest answer carries the password");
            Check(parameters.TryGetValue("username", out var user) && user == "fuzz-user", "Digest username does not round-trip");
            Check(parameters.TryGetValue("uri", out var sentUri) && sentUri == uri, "Digest uri does not round-trip");
            Check(parameters.TryGetValue("response", out var response) && response.Length is 32 or 64, "Digest response is not a hash");
        }
    }

    /// <summary>AuthorizationHeader.TryParse (what the RTSP server does with a client's header).</summary>
    private static void Authorization(byte[] data)
    {
        var text = Utf8.GetString(data);
        if (AuthorizationHeader.TryParse(text, out var scheme, out var parameters))
        {
            Check(scheme.Length > 0 && scheme.AsSpan().IndexOfAny(" \t,=") < 0, "scheme is empty or holds a separator");
        }
        else
        {
            Check(scheme.Length == 0 && parameters.Count == 0, "TryParse returned false with results");
        }
    }

    /// <summary>
    /// SessionDescription.TryParse (and Parse, which must agree), TrackSelector.Select with a fixed base URL, then
    /// SdpWriter.Write on the selection; the gateway's own SDP must parse and select to the same tracks.
    /// </summary>
    private static void Sdp(byte[] data)
    {
        var text = Utf8.GetString(data);
        var parsed = SessionDescription.TryParse(text, out var sdp, out var error);
        Check(parsed ? sdp is not null && error is null : sdp is null && error is not null, "TryParse result and outputs disagree");
        try
        {
            _ = SessionDescription.Parse(text);
            Check(parsed, "Parse accepted what TryParse rejected");
        }
        catch (SdpFormatException)
        {
            Check(!parsed, "Parse rejected what TryParse accepted");
        }

        if (!parsed)
        {
            return;
        }

        Check(sdp!.Media.Count is > 0 and <= SessionDescription.MaxMediaSections, "media section count out of bounds");
        var selection = TrackSelector.Select(sdp, DescribeUri, null);
        Check(selection.Tracks.Count + selection.Skipped.Count == sdp.Media.Count, "a media section was neither selected nor skipped");
        for (var i = 0; i < selection.Tracks.Count; i++)
        {
            var track = selection.Tracks[i];
            Check(track.Index == i && track.PayloadType <= 127 && track.ClockRate > 0, "selected track has impossible values");
            Check(track.EncodingName.Length > 0 && track.ControlUrl.Length > 0, "selected track without encoding or control");
        }

        if (selection.Tracks.Count == 0)
        {
            return;
        }

        var written = SdpWriter.Write(selection.Tracks, "fuzz", "192.0.2.1");
        Check(SessionDescription.TryParse(written, out var reparsed, out _), "SdpWriter output does not parse");
        var again = TrackSelector.Select(reparsed!, new Uri("rtsp://198.51.100.1/school/camera/"), null);
        Check(again.Tracks.Count == selection.Tracks.Count, "SdpWriter output selects a different number of tracks");
        for (var i = 0; i < again.Tracks.Count; i++)
        {
            var (a, b) = (selection.Tracks[i], again.Tracks[i]);
            Check(
                a.Kind == b.Kind && a.PayloadType == b.PayloadType && a.EncodingName == b.EncodingName
                    && a.ClockRate == b.ClockRate && a.Channels == b.Channels && a.Fmtp == b.Fmtp,
                "SdpWriter output describes a track differently");
        }
    }

    /// <summary>RtpHeader.TryParse, GetPayload and the H.264/H.265 keyframe detectors (also on the raw bytes).</summary>
    private static void Rtp(byte[] data)
    {
        ReadRtp(data);
        _ = KeyframeDetector.IsKeyframeStart("H264", data);
        _ = KeyframeDetector.IsKeyframeStart("H265", data);
    }

    /// <summary>Rtcp.IsValidCompound and TryReadSenderReport; a valid compound starting with an SR must yield it.</summary>
    private static void Rtcp(byte[] data)
    {
        ReadRtcp(data);
    }

    private static void ReadRtp(ReadOnlySpan<byte> packet)
    {
        if (!RtpHeader.TryParse(packet, out var header))
        {
            return;
        }

        Check(header.HeaderLength >= RtpHeader.FixedLength && header.HeaderLength + header.PaddingLength <= packet.Length, "RTP header lengths exceed the packet");
        Check(header.PayloadType <= 127 && header.CsrcCount <= 15, "RTP header fields out of range");
        var payload = RtpHeader.GetPayload(packet, header);
        Check(payload.Length == packet.Length - header.HeaderLength - header.PaddingLength, "RTP payload length is wrong");
        _ = KeyframeDetector.IsKeyframeStart("H264", payload);
        _ = KeyframeDetector.IsKeyframeStart("H265", payload);
        _ = KeyframeDetector.IsKeyframeStart("PCMA", payload);
    }

    private static void ReadRtcp(ReadOnlySpan<byte> packet)
    {
        var valid = Protocols.Rtp.Rtcp.IsValidCompound(packet);
        var hasSr = Protocols.Rtp.Rtcp.TryReadSenderReport(packet, out var ssrc, out _, out _, out _, out _);
        if (valid && packet[1] == Protocols.Rtp.Rtcp.SenderReport && ((packet[2] << 8) | packet[3]) >= 6)
        {
            Check(hasSr && ssrc == (uint)((packet[4] << 24) | (packet[5] << 16) | (packet[6] << 8) | packet[7]), "a valid compound starting with an SR gave no sender report");
        }
    }

    private static List<string> ParseMessages(ReadOnlySequence<byte> input)
    {
        var results = new List<string>();
        var reader = new SequenceReader<byte>(input);

        // Every Done consumes at least one byte, so the input length bounds the loop.
        for (long i = 0; i <= input.Length; i++)
        {
            var before = reader.Consumed;
            var status = RtspParser.TryParseMessage(ref reader, out var message, out var error);
            if (status == OperationStatus.Done)
            {
                Check(message is not null && reader.Consumed > before, "Done without a message or without progress");
                results.Add(CheckMessage(message!));
                continue;
            }

            Check(reader.Consumed == before && message is null, $"{status} moved the reader or returned a message");
            Check(status is OperationStatus.NeedMoreData or OperationStatus.InvalidData, $"unexpected status {status}");
            Check(status != OperationStatus.InvalidData || error is not null, "InvalidData without an error");
            results.Add($"{status} {error}");
            return results;
        }

        throw new FuzzInvariantException("the parser kept returning Done without consuming the input");
    }

    private static List<string> Demultiplex(ReadOnlySequence<byte> input, byte[] data)
    {
        var results = new List<string>();
        var reader = new SequenceReader<byte>(input);
        for (long i = 0; i <= input.Length; i++)
        {
            RtspParser.SkipLineBreaks(ref reader);
            if (!reader.TryPeek(out var next))
            {
                results.Add("end");
                return results;
            }

            var before = reader.Consumed;
            OperationStatus status;
            string? error = null;
            if (next == InterleavedFrame.Magic)
            {
                status = InterleavedFrame.TryRead(ref reader, out var channel, out var payload);
                if (status == OperationStatus.Done)
                {
                    Check(payload.Length is > 0 and <= ushort.MaxValue, "frame payload length out of range");
                    Check(reader.Consumed == before + InterleavedFrame.HeaderLength + payload.Length, "frame consumed a wrong number of bytes");
                    Check(channel == data[before + 1], "frame channel is not the second byte");
                    var bytes = payload.ToArray();
                    Check(bytes.AsSpan().SequenceEqual(data.AsSpan((int)before + InterleavedFrame.HeaderLength, bytes.Length)), "frame payload is not the bytes after its header");
                    if (channel % 2 == 0)
                    {
                        ReadRtp(bytes);
                    }
                    else
                    {
                        ReadRtcp(bytes);
                    }

                    results.Add($"frame {channel} {bytes.Length}");
                    continue;
                }
            }
            else
            {
                status = RtspParser.TryParseMessage(ref reader, out var message, out error);
                if (status == OperationStatus.Done)
                {
                    Check(message is not null && reader.Consumed > before, "Done without a message or without progress");
                    results.Add(CheckMessage(message!));
                    continue;
                }
            }

            Check(reader.Consumed == before, $"{status} moved the reader");
            Check(status is OperationStatus.NeedMoreData or OperationStatus.InvalidData, $"unexpected status {status}");
            results.Add($"{status} {error}");
            return results;
        }

        throw new FuzzInvariantException("the demultiplexer kept reading without consuming the input");
    }

    /// <summary>Serializes a parsed message; where the wire form stays inside the limits it must re-parse to the same bytes.</summary>
    private static string CheckMessage(RtspMessage message)
    {
        _ = message.CSeq;
        _ = message.BodyText;
        _ = message.ToString();
        var wire = message.Serialize();
        if (FitsLimits(wire))
        {
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(wire));
            var status = RtspParser.TryParseMessage(ref reader, out var again, out _);
            Check(status == OperationStatus.Done && reader.Consumed == wire.Length, "a serialized message does not re-parse whole");
            Check(again!.Serialize().AsSpan().SequenceEqual(wire), "a serialized message re-parses to different bytes");
        }

        return Convert.ToHexString(wire);
    }

    // Serialize may lengthen lines (": " and CRLF for "name:value" LF, a standard reason phrase); near a limit the
    // re-parse may then rightly fail, so the round trip is only checked with room to spare.
    private static bool FitsLimits(byte[] wire)
    {
        const int Slack = 64;
        var headEnd = wire.AsSpan().IndexOf("\r\n\r\n"u8);
        if (headEnd < 0)
        {
            return false;
        }

        var head = wire.AsSpan(0, headEnd + 2);
        var first = true;
        var lines = 0;
        while (!head.IsEmpty)
        {
            var end = head.IndexOf("\r\n"u8);
            var limit = first ? RtspParser.MaxStartLineLength : RtspParser.MaxHeaderLineLength;
            if (end + 2 > limit - Slack)
            {
                return false;
            }

            first = false;
            lines++;
            head = head[(end + 2)..];
        }

        return headEnd < RtspParser.MaxHeaderBytes - (Slack * lines);
    }

    private static void CheckTransportRoundTrip(RtspTransport transport)
    {
        var canonical = transport.ToHeaderValue();
        Check(RtspTransport.TryParse(canonical, out var again, out _), "a transport's canonical form does not parse");

        // Structural fields only: free-text values (destination, source, mode) are kept as given, quotes and all.
        Check(
            again!.Protocol == transport.Protocol && again.IsTcp == transport.IsTcp && again.IsMulticast == transport.IsMulticast
                && again.Interleaved == transport.Interleaved && again.ClientPort == transport.ClientPort
                && again.ServerPort == transport.ServerPort && again.Port == transport.Port
                && again.Ssrc == transport.Ssrc && again.Ttl == transport.Ttl,
            "a transport's canonical form parses to different values");
    }

    private static int SplitPoint(byte[] data)
        => data.Length == 0 ? 0 : ((data[0] * 31) + data[^1]) % (data.Length + 1);

    /// <summary>The data as two segments split at <paramref name="at"/> (either may be empty), each in its own array.</summary>
    internal static ReadOnlySequence<byte> TwoSegments(byte[] data, int at)
    {
        var first = new Segment(data.AsMemory(0, at).ToArray(), 0);
        var second = first.Append(data.AsMemory(at).ToArray());
        return new ReadOnlySequence<byte>(first, 0, second, second.Memory.Length);
    }

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new FuzzInvariantException(what);
        }
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
