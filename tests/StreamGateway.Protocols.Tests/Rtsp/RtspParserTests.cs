using System.Buffers;
using System.Text;
using StreamGateway.Protocols.Rtsp;
using StreamGateway.Protocols.Tests.Support;

namespace StreamGateway.Protocols.Tests.Rtsp;

public sealed class RtspParserTests
{
    public sealed record ValidCase(string Name, string Wire, string StartLine, int? CSeq, string Body)
    {
        public override string ToString() => Name;
    }

    // StartLine is what Serialize() writes back: a canonical RTSP/1.0 line.
    public static TheoryData<ValidCase> ValidMessages => new()
    {
        new("OPTIONS request", "OPTIONS rtsp://cam/live RTSP/1.0\r\nCSeq: 1\r\n\r\n", "OPTIONS rtsp://cam/live RTSP/1.0", 1, ""),
        new("OPTIONS * request", "OPTIONS * RTSP/1.0\r\nCSeq: 9\r\n\r\n", "OPTIONS * RTSP/1.0", 9, ""),
        new("response with reason", "RTSP/1.0 200 OK\r\nCSeq: 2\r\n\r\n", "RTSP/1.0 200 OK", 2, ""),
        new("response without reason", "RTSP/1.0 200\r\nCSeq: 3\r\n\r\n", "RTSP/1.0 200 OK", 3, ""),
        new("response with multi-word reason", "RTSP/1.0 454 Session Not Found\r\nCSeq: 4\r\n\r\n", "RTSP/1.0 454 Session Not Found", 4, ""),
        new("bare LF line endings", "RTSP/1.0 200 OK\nCSeq: 5\nPublic: OPTIONS\n\n", "RTSP/1.0 200 OK", 5, ""),
        new("mixed line endings", "RTSP/1.0 200 OK\r\nCSeq: 6\n\r\n", "RTSP/1.0 200 OK", 6, ""),
        new("leading blank lines", "\r\n\r\n\nRTSP/1.0 200 OK\r\nCSeq: 7\r\n\r\n", "RTSP/1.0 200 OK", 7, ""),
        new("lower-case cseq with padding", "RTSP/1.0 200 OK\r\ncseq:    8   \r\n\r\n", "RTSP/1.0 200 OK", 8, ""),
        new("no headers at all", "RTSP/1.0 200 OK\r\n\r\n", "RTSP/1.0 200 OK", null, ""),
        new("non-numeric CSeq", "RTSP/1.0 200 OK\r\nCSeq: abc\r\n\r\n", "RTSP/1.0 200 OK", null, ""),
        new("body with Content-Length", "RTSP/1.0 200 OK\r\nCSeq: 10\r\nContent-Length: 5\r\n\r\nv=0\r\n", "RTSP/1.0 200 OK", 10, "v=0\r\n"),
        new("Content-Length 0", "RTSP/1.0 200 OK\r\nCSeq: 11\r\nContent-Length: 0\r\n\r\n", "RTSP/1.0 200 OK", 11, ""),
        new("body holding CRLFCRLF", "RTSP/1.0 200 OK\r\ncontent-length: 6\r\nCSeq: 12\r\n\r\na\r\n\r\nb", "RTSP/1.0 200 OK", 12, "a\r\n\r\nb"),
        new("request with body", "SET_PARAMETER rtsp://cam/ RTSP/1.0\r\nCSeq: 13\r\nContent-Length: 2\r\n\r\nhi", "SET_PARAMETER rtsp://cam/ RTSP/1.0", 13, "hi"),
        new("RTSP/2.0 status line", "RTSP/2.0 200 OK\r\nCSeq: 14\r\n\r\n", "RTSP/1.0 200 OK", 14, ""),
        new("space before colon", "RTSP/1.0 200 OK\r\nCSeq : 15\r\n\r\n", "RTSP/1.0 200 OK", 15, ""),
        new("empty header value", "RTSP/1.0 200 OK\r\nCSeq: 16\r\nX-Empty:\r\n\r\n", "RTSP/1.0 200 OK", 16, ""),
    };

    [Theory]
    [MemberData(nameof(ValidMessages))]
    public void Parses_valid_message_whole_split_and_never_early(ValidCase c)
    {
        var input = Encoding.UTF8.GetBytes(c.Wire);

        var run = RtspParseHarness.ParseEveryWay(input);

        var message = Assert.Single(run.Messages);
        Assert.Equal(input.Length, run.Consumed);
        Assert.Equal(OperationStatus.NeedMoreData, run.FinalStatus);
        Assert.Equal(c.CSeq, message.CSeq);
        Assert.Equal(c.Body, message.BodyText);
        var serialized = Encoding.UTF8.GetString(message.Serialize());
        Assert.StartsWith(c.StartLine + "\r\n", serialized, StringComparison.Ordinal);
    }

    [Fact]
    public void Parses_request_method_and_uri()
    {
        var run = RtspParseHarness.ParseEveryWay("DESCRIBE rtsp://10.0.0.1:554/Streaming/Channels/101?x=1 RTSP/1.0\r\nCSeq: 2\r\nAccept: application/sdp\r\n\r\n"u8.ToArray());

        var request = Assert.IsType<RtspRequest>(Assert.Single(run.Messages));
        Assert.Equal("DESCRIBE", request.Method);
        Assert.Equal("rtsp://10.0.0.1:554/Streaming/Channels/101?x=1", request.Uri);
        Assert.Equal("application/sdp", request.Headers.Get("accept"));
    }

    [Fact]
    public void Parses_response_status_and_repeated_headers_in_order()
    {
        var wire = "RTSP/1.0 401 Unauthorized\r\nCSeq: 3\r\nWWW-Authenticate: Digest realm=\"a\", nonce=\"b\"\r\nWWW-Authenticate: Basic realm=\"a\"\r\n\r\n"u8.ToArray();

        var response = Assert.IsType<RtspResponse>(Assert.Single(RtspParseHarness.ParseEveryWay(wire).Messages));

        Assert.Equal(401, response.StatusCode);
        Assert.Equal("Unauthorized", response.Reason);
        Assert.Equal(["Digest realm=\"a\", nonce=\"b\"", "Basic realm=\"a\""], response.Headers.GetAll("www-authenticate"));
    }

    [Fact]
    public void Parses_two_messages_back_to_back()
    {
        var first = "RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Length: 3\r\n\r\nabc"u8.ToArray();
        var second = "\r\nRTSP/1.0 200 OK\r\nCSeq: 2\r\n\r\n"u8.ToArray();

        var run = RtspParseHarness.ParseEveryWay([.. first, .. second]);

        Assert.Equal([1, 2], run.Messages.Select(m => m.CSeq));
        Assert.Equal((0L, (long)first.Length), run.Spans[0]);
        Assert.Equal(first.Length + second.Length, run.Consumed);
        Assert.Equal("abc", run.Messages[0].BodyText);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(int.MaxValue)]
    public void Leaves_an_interleaved_frame_after_a_message_for_the_frame_reader(int segmentLength)
    {
        var message = "RTSP/1.0 200 OK\r\nCSeq: 5\r\nSession: 12345678\r\n\r\n"u8.ToArray();
        byte[] frame = [(byte)'$', 1, 0, 3, 0xAA, 0xBB, 0xCC];
        var input = segmentLength == int.MaxValue
            ? ReadOnlySequenceFactory.SingleSegment([.. message, .. frame])
            : ReadOnlySequenceFactory.Segmented([.. message, .. frame], segmentLength);
        var reader = new SequenceReader<byte>(input);

        Assert.Equal(OperationStatus.Done, RtspParser.TryParseMessage(ref reader, out var parsed, out _));
        Assert.Equal(5, parsed!.CSeq);
        Assert.Equal(message.Length, reader.Consumed);

        // The parser refuses the frame instead of reading it as a start line.
        var copy = reader;
        Assert.Equal(OperationStatus.InvalidData, RtspParser.TryParseMessage(ref copy, out _, out var error));
        Assert.Contains("nterleaved", error, StringComparison.Ordinal);

        Assert.Equal(OperationStatus.Done, InterleavedFrame.TryRead(ref reader, out var channel, out var payload));
        Assert.Equal(1, channel);
        Assert.Equal([0xAA, 0xBB, 0xCC], payload.ToArray());
        Assert.Equal(0, reader.Remaining);
    }

    [Fact]
    public void Copies_the_body_so_it_outlives_the_input_buffer()
    {
        var input = "RTSP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nabc"u8.ToArray();
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(input));
        RtspParser.TryParseMessage(ref reader, out var message, out _);

        input.AsSpan().Fill(0);

        Assert.Equal("abc", message!.BodyText);
    }

    [Fact]
    public void Skip_line_breaks_consumes_whitespace_between_frames_and_messages()
    {
        var reader = new SequenceReader<byte>(ReadOnlySequenceFactory.OneBytePerSegment("\r\n \t$"u8));

        Assert.Equal(4, RtspParser.SkipLineBreaks(ref reader));
        Assert.True(reader.TryPeek(out var next));
        Assert.Equal((byte)'$', next);
    }

    public sealed record InvalidCase(string Name, byte[] Wire, string ErrorFragment)
    {
        public override string ToString() => Name;
    }

    public static TheoryData<InvalidCase> InvalidMessages => new()
    {
        new("HTTP response from a web port", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"u8.ToArray(), "HTTP"),
        new("HTTP request line", "GET / HTTP/1.1\r\nHost: cam\r\n\r\n"u8.ToArray(), "HTTP"),
        new("binary garbage", [0x80, 0x01, 0x02, 0x03, 0x04], "0x80"),
        new("interleaved frame", [(byte)'$', 0, 0, 1, 0x80], "nterleaved"),
        new("request line with two parts", "OPTIONS RTSP/1.0\r\n\r\n"u8.ToArray(), "METHOD URI"),
        new("request line with wrong version", "OPTIONS rtsp://cam/ SIP/2.0\r\n\r\n"u8.ToArray(), "version"),
        new("status line without code", "RTSP/1.0 OK\r\n\r\n"u8.ToArray(), "status code"),
        new("status line with 4-digit code", "RTSP/1.0 2000 OK\r\n\r\n"u8.ToArray(), "status code"),
        new("status line with bad version", "RTSP/one 200 OK\r\n\r\n"u8.ToArray(), "version"),
        new("header line without colon", "RTSP/1.0 200 OK\r\nCSeq 1\r\n\r\n"u8.ToArray(), "colon"),
        new("folded header line", "RTSP/1.0 200 OK\r\nCSeq: 1\r\n continued\r\n\r\n"u8.ToArray(), "colon"),
        new("header with empty name", "RTSP/1.0 200 OK\r\n: x\r\n\r\n"u8.ToArray(), "name"),
        new("header with bare CR in value", "RTSP/1.0 200 OK\r\nX-A: a\rb\r\n\r\n"u8.ToArray(), "bare CR"),
        new("negative Content-Length", "RTSP/1.0 200 OK\r\nContent-Length: -5\r\n\r\n"u8.ToArray(), "Content-Length"),
        new("non-numeric Content-Length", "RTSP/1.0 200 OK\r\nContent-Length: 12abc\r\n\r\n"u8.ToArray(), "Content-Length"),
        new("huge Content-Length", "RTSP/1.0 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n"u8.ToArray(), "Content-Length"),
        new("Content-Length over the body limit", Encoding.ASCII.GetBytes($"RTSP/1.0 200 OK\r\nContent-Length: {RtspParser.MaxBodyLength + 1}\r\n\r\n"), "limit"),
        new("conflicting Content-Length", "RTSP/1.0 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"u8.ToArray(), "Conflicting"),
    };

    [Theory]
    [MemberData(nameof(InvalidMessages))]
    public void Rejects_malformed_message_whole_and_split(InvalidCase c)
    {
        foreach (var input in new[] { ReadOnlySequenceFactory.SingleSegment(c.Wire), ReadOnlySequenceFactory.OneBytePerSegment(c.Wire) })
        {
            var reader = new SequenceReader<byte>(input);

            var status = RtspParser.TryParseMessage(ref reader, out var message, out var error);

            Assert.Equal(OperationStatus.InvalidData, status);
            Assert.Null(message);
            Assert.Equal(0, reader.Consumed);
            Assert.Contains(c.ErrorFragment, error, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("HTTP/")]
    [InlineData("GET / HTTP/1.1\r\n")]
    [InlineData("\u0016\u0003\u0001")] // a TLS ClientHello
    public void Rejects_a_non_rtsp_peer_from_its_first_bytes(string start)
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(start)));

        Assert.Equal(OperationStatus.InvalidData, RtspParser.TryParseMessage(ref reader, out _, out _));
    }

    [Fact]
    public void Rejects_an_endless_header_as_soon_as_the_header_byte_limit_is_passed()
    {
        // 1000-byte header lines, never followed by a blank line: the byte limit trips long before the count limit.
        const string StartLine = "RTSP/1.0 200 OK\r\n";
        var line = "X-Pad: " + new string('a', 991) + "\r\n";
        var bytes = Encoding.ASCII.GetBytes(StartLine + string.Concat(Enumerable.Repeat(line, 40)));
        Assert.Equal(1000, line.Length);

        AssertStatus(OperationStatus.NeedMoreData, bytes[..(StartLine.Length + RtspParser.MaxHeaderBytes)], out _);
        AssertStatus(OperationStatus.InvalidData, bytes[..(StartLine.Length + RtspParser.MaxHeaderBytes + 2)], out var error);
        Assert.Contains("headers longer than", error, StringComparison.Ordinal);
        AssertStatus(OperationStatus.InvalidData, bytes, out _);
    }

    [Fact]
    public void Rejects_a_single_header_line_over_its_limit()
    {
        var bytes = Encoding.ASCII.GetBytes("RTSP/1.0 200 OK\r\nX-Long: " + new string('a', RtspParser.MaxHeaderLineLength));

        AssertStatus(OperationStatus.InvalidData, bytes, out var error);
        Assert.Contains("header line longer", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_a_start_line_over_its_limit()
    {
        var bytes = Encoding.ASCII.GetBytes("DESCRIBE rtsp://cam/" + new string('a', RtspParser.MaxStartLineLength));

        AssertStatus(OperationStatus.InvalidData, bytes, out var error);
        Assert.Contains("start line longer", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_endless_blank_lines()
    {
        AssertStatus(OperationStatus.NeedMoreData, new byte[RtspParser.MaxStartLineLength].Select(_ => (byte)'\n').ToArray(), out _);
        AssertStatus(OperationStatus.InvalidData, new byte[RtspParser.MaxStartLineLength + 1].Select(_ => (byte)'\n').ToArray(), out _);
    }

    [Fact]
    public void Rejects_more_headers_than_the_count_limit()
    {
        var ok = new StringBuilder("RTSP/1.0 200 OK\r\n");
        for (var i = 0; i < RtspParser.MaxHeaderCount; i++)
        {
            ok.Append("X-H: ").Append(i).Append("\r\n");
        }

        AssertStatus(OperationStatus.Done, Encoding.ASCII.GetBytes(ok + "\r\n"), out _);
        AssertStatus(OperationStatus.InvalidData, Encoding.ASCII.GetBytes(ok + "X-H: one too many\r\n\r\n"), out var error);
        Assert.Contains("More than 100", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Waits_for_a_body_up_to_the_limit()
    {
        var head = Encoding.ASCII.GetBytes($"RTSP/1.0 200 OK\r\nContent-Length: {RtspParser.MaxBodyLength}\r\n\r\n");
        AssertStatus(OperationStatus.NeedMoreData, [.. head, .. new byte[RtspParser.MaxBodyLength - 1]], out _);
        AssertStatus(OperationStatus.Done, [.. head, .. new byte[RtspParser.MaxBodyLength]], out _);
    }

    [Fact]
    public void Never_echoes_an_authorization_value_in_an_error()
    {
        var bytes = "DESCRIBE rtsp://cam/ RTSP/1.0\r\nAuthorization: Basic c2VjcmV0OnBhc3N3b3Jk\rX\r\n\r\n"u8.ToArray();

        AssertStatus(OperationStatus.InvalidData, bytes, out var error);
        Assert.DoesNotContain("c2VjcmV0", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Never_throws_and_keeps_its_contract_on_mutated_camera_traffic()
    {
        var seed = CameraTestData.ReadBytes("hikvision-ipc-setup-200-session-whitespace-mode-quoted.rtsp");
        byte[] interesting = [(byte)'\r', (byte)'\n', (byte)':', (byte)' ', (byte)'$', 0, 0xFF, (byte)'9', (byte)'-'];
        var random = new Random(20240601);

        for (var iteration = 0; iteration < 3000; iteration++)
        {
            var input = (byte[])seed.Clone();
            for (var m = random.Next(1, 6); m > 0; m--)
            {
                input[random.Next(input.Length)] = random.Next(2) == 0 ? interesting[random.Next(interesting.Length)] : (byte)random.Next(256);
            }

            var sequence = random.Next(2) == 0
                ? ReadOnlySequenceFactory.SingleSegment(input)
                : ReadOnlySequenceFactory.Segmented(input, random.Next(1, 16));
            var reader = new SequenceReader<byte>(sequence);
            var status = RtspParser.TryParseMessage(ref reader, out var message, out var error);

            Assert.Equal(status == OperationStatus.Done, message is not null);
            Assert.Equal(status == OperationStatus.InvalidData, error is not null);
            Assert.Equal(status == OperationStatus.Done, reader.Consumed > 0);
        }
    }

    private static void AssertStatus(OperationStatus expected, byte[] bytes, out string? error)
    {
        foreach (var input in new[] { ReadOnlySequenceFactory.SingleSegment(bytes), ReadOnlySequenceFactory.Segmented(bytes, 7) })
        {
            var reader = new SequenceReader<byte>(input);
            var status = RtspParser.TryParseMessage(ref reader, out _, out error);
            Assert.True(expected == status, $"expected {expected}, got {status}: {error}");
            Assert.Equal(expected == OperationStatus.Done ? bytes.Length : 0, reader.Consumed);
        }

        var last = new SequenceReader<byte>(ReadOnlySequenceFactory.SingleSegment(bytes));
        RtspParser.TryParseMessage(ref last, out _, out error);
    }
}
