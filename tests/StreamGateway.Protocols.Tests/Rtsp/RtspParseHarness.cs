using System.Buffers;
using StreamGateway.Protocols.Rtsp;
using StreamGateway.Protocols.Tests.Support;

namespace StreamGateway.Protocols.Tests.Rtsp;

/// <summary>Result of parsing a byte stream message by message until the parser stops returning Done.</summary>
internal sealed record ParseRun(
    IReadOnlyList<RtspMessage> Messages,
    IReadOnlyList<(long Start, long End)> Spans,
    OperationStatus FinalStatus,
    string? FinalError,
    long Consumed);

/// <summary>
/// Runs the parser the three ways house style asks for: whole, one byte per segment, and every strict
/// prefix of every message (which must be NeedMoreData and consume nothing).
/// </summary>
internal static class RtspParseHarness
{
    public static ParseRun ParseEveryWay(byte[] input)
    {
        var whole = ParseSequentially(ReadOnlySequenceFactory.SingleSegment(input));
        var split = ParseSequentially(ReadOnlySequenceFactory.OneBytePerSegment(input));

        Assert.Equal(whole.Spans, split.Spans);
        Assert.Equal(whole.FinalStatus, split.FinalStatus);
        Assert.Equal(whole.FinalError, split.FinalError);
        for (var i = 0; i < whole.Messages.Count; i++)
        {
            Assert.Equal(whole.Messages[i].Serialize(), split.Messages[i].Serialize());
            Assert.Equal(whole.Messages[i].Headers.ToList(), split.Messages[i].Headers.ToList());
        }

        foreach (var (start, end) in whole.Spans)
        {
            AssertEveryPrefixNeedsMoreData(input.AsSpan((int)start, (int)(end - start)));
        }

        return whole;
    }

    public static ParseRun ParseSequentially(ReadOnlySequence<byte> input)
    {
        var reader = new SequenceReader<byte>(input);
        var messages = new List<RtspMessage>();
        var spans = new List<(long, long)>();

        // Bounded: every Done consumes at least one byte.
        for (var i = 0; i <= input.Length; i++)
        {
            var start = reader.Consumed;
            var status = RtspParser.TryParseMessage(ref reader, out var message, out var error);
            if (status != OperationStatus.Done)
            {
                Assert.Null(message);
                Assert.Equal(start, reader.Consumed);
                Assert.Equal(status == OperationStatus.InvalidData, error is not null);
                return new ParseRun(messages, spans, status, error, reader.Consumed);
            }

            Assert.NotNull(message);
            Assert.Null(error);
            Assert.True(reader.Consumed > start);
            messages.Add(message);
            spans.Add((start, reader.Consumed));
        }

        throw new InvalidOperationException("Parser returned Done without consuming input.");
    }

    public static void AssertEveryPrefixNeedsMoreData(ReadOnlySpan<byte> message)
    {
        for (var length = 0; length < message.Length; length++)
        {
            AssertNeedsMoreData(ReadOnlySequenceFactory.SingleSegment(message[..length]), length);
            AssertNeedsMoreData(ReadOnlySequenceFactory.OneBytePerSegment(message[..length]), length);
        }
    }

    private static void AssertNeedsMoreData(ReadOnlySequence<byte> prefix, int length)
    {
        var reader = new SequenceReader<byte>(prefix);
        var status = RtspParser.TryParseMessage(ref reader, out var message, out var error);
        Assert.True(status == OperationStatus.NeedMoreData, $"prefix of {length} bytes gave {status}: {error}");
        Assert.Equal(0, reader.Consumed);
        Assert.Null(message);
    }
}
