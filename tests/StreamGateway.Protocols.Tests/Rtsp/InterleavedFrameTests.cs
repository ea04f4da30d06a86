using System.Buffers;
using StreamGateway.Protocols.Rtsp;
using StreamGateway.Protocols.Tests.Support;

namespace StreamGateway.Protocols.Tests.Rtsp;

public sealed class InterleavedFrameTests
{
    [Fact]
    public void Reads_the_axis_capture_as_one_channel_0_frame()
    {
        var bytes = CameraTestData.ReadHexDump("axis-interleaved-frame-ch0-h264-fua-end.hex");
        Assert.Equal(736, bytes.Length);

        foreach (var input in new[] { ReadOnlySequenceFactory.SingleSegment(bytes), ReadOnlySequenceFactory.OneBytePerSegment(bytes) })
        {
            var reader = new SequenceReader<byte>(input);

            Assert.Equal(OperationStatus.Done, InterleavedFrame.TryRead(ref reader, out var channel, out var payload));

            Assert.Equal(0, channel);
            Assert.Equal(732, payload.Length);
            Assert.Equal(bytes.Length, reader.Consumed);
            var rtp = payload.ToArray();
            Assert.Equal(0x80, rtp[0]); // RTP version 2
            Assert.Equal(0xE0, rtp[1]); // marker, PT 96
            Assert.Equal(bytes[4..], rtp);
        }
    }

    [Fact]
    public void Needs_more_data_for_every_prefix_of_the_axis_frame_and_consumes_nothing()
    {
        var bytes = CameraTestData.ReadHexDump("axis-interleaved-frame-ch0-h264-fua-end.hex");

        for (var length = 0; length < bytes.Length; length++)
        {
            var reader = new SequenceReader<byte>(ReadOnlySequenceFactory.Segmented(bytes.AsSpan(0, length), 3));
            Assert.Equal(OperationStatus.NeedMoreData, InterleavedFrame.TryRead(ref reader, out _, out _));
            Assert.Equal(0, reader.Consumed);
        }
    }

    [Fact]
    public void Reads_two_frames_back_to_back_then_a_message()
    {
        byte[] input = [(byte)'$', 0, 0, 2, 1, 2, (byte)'$', 1, 0, 1, 9, .. "RTSP/1.0 200 OK\r\n\r\n"u8];
        var reader = new SequenceReader<byte>(ReadOnlySequenceFactory.OneBytePerSegment(input));

        Assert.Equal(OperationStatus.Done, InterleavedFrame.TryRead(ref reader, out var first, out var firstPayload));
        Assert.Equal(0, first);
        Assert.Equal([1, 2], firstPayload.ToArray());
        Assert.Equal(OperationStatus.Done, InterleavedFrame.TryRead(ref reader, out var second, out var secondPayload));
        Assert.Equal(1, second);
        Assert.Equal([9], secondPayload.ToArray());
        Assert.Equal(OperationStatus.InvalidData, InterleavedFrame.TryRead(ref reader, out _, out _));
        Assert.Equal(OperationStatus.Done, RtspParser.TryParseMessage(ref reader, out _, out _));
    }

    [Theory]
    [InlineData(new byte[] { (byte)'R', 0, 0, 1, 0 })]
    [InlineData(new byte[] { (byte)'$', 0, 0, 0 })]
    [InlineData(new byte[] { 0x80, 0xE0 })]
    public void Rejects_a_frame_without_magic_or_with_zero_length(byte[] input)
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(input));

        Assert.Equal(OperationStatus.InvalidData, InterleavedFrame.TryRead(ref reader, out _, out _));
        Assert.Equal(0, reader.Consumed);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(3, 1500)]
    [InlineData(255, 65535)]
    public void Writes_a_header_that_reads_back(byte channel, int length)
    {
        var frame = new byte[InterleavedFrame.HeaderLength + length];
        InterleavedFrame.WriteHeader(frame, channel, length);
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(frame));

        Assert.Equal(OperationStatus.Done, InterleavedFrame.TryRead(ref reader, out var readChannel, out var payload));
        Assert.Equal(channel, readChannel);
        Assert.Equal(length, payload.Length);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(65536)]
    public void Refuses_to_write_a_length_that_does_not_fit(int length)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => InterleavedFrame.WriteHeader(new byte[4], 0, length));
    }
}
