using System.Buffers;

namespace StreamGateway.Protocols.Tests.Support;

/// <summary>
/// Builds <see cref="ReadOnlySequence{T}"/> inputs for parser tests: one segment, or split into many so the
/// multi-segment paths (a line or header straddling segments) are exercised.
/// </summary>
public static class ReadOnlySequenceFactory
{
    public static ReadOnlySequence<byte> SingleSegment(ReadOnlySpan<byte> data) => new(data.ToArray());

    /// <summary>Every byte in its own segment: the worst case for a parser that assumes contiguous memory.</summary>
    public static ReadOnlySequence<byte> OneBytePerSegment(ReadOnlySpan<byte> data) => Segmented(data, 1);

    /// <summary>Splits into segments of <paramref name="segmentLength"/> bytes (the last may be shorter).</summary>
    public static ReadOnlySequence<byte> Segmented(ReadOnlySpan<byte> data, int segmentLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(segmentLength, 1);
        if (data.IsEmpty)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        Segment? first = null;
        Segment? last = null;
        for (var offset = 0; offset < data.Length; offset += segmentLength)
        {
            var length = Math.Min(segmentLength, data.Length - offset);

            // Each segment gets its own array with a guard byte either side, so an out-of-slice read shows up as a wrong value.
            var array = new byte[length + 2];
            array[0] = 0xEE;
            array[^1] = 0xEE;
            data.Slice(offset, length).CopyTo(array.AsSpan(1));
            var memory = new ReadOnlyMemory<byte>(array, 1, length);
            if (last is null)
            {
                first = last = new Segment(memory, 0);
            }
            else
            {
                last = last.Append(memory);
            }
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
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
