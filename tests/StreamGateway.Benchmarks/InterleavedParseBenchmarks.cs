using System.Buffers;
using System.IO.Pipelines;
using BenchmarkDotNet.Attributes;
using StreamGateway.Protocols.Rtsp;
using StreamGateway.Relay;

namespace StreamGateway.Benchmarks;

/// <summary>
/// The ingest's TCP read path without the socket: a GOP of interleaved frames goes into a Pipe in 16 KiB
/// writes (the read loop's minimum read size), and each read is parsed as RtspClientConnection.Dispatch
/// does; every payload is copied once into a rented RelayPacket (CameraSession.OnInterleavedFrame), then released.
/// </summary>
[Config(typeof(MicroConfig))]
public class InterleavedParseBenchmarks
{
    private const int ChunkSize = 16 * 1024;
    private byte[] _gop = [];
    private Pipe _pipe = null!;
    private RelayPacketPool _pool = null!;
    private long _bytesCopied;

    [GlobalSetup]
    public void Setup()
    {
        _gop = Packets.InterleavedGop();
        _pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0, useSynchronizationContext: false));
        _pool = new RelayPacketPool();
        ParseGop(); // first use fills the pools
    }

    [Benchmark(OperationsPerInvoke = Packets.PacketsPerGop, Description = "interleaved parse + copy into RelayPacket")]
    public long ParseGop()
    {
        var writer = _pipe.Writer;
        var reader = _pipe.Reader;
        var frames = 0;
        for (var offset = 0; offset < _gop.Length; offset += ChunkSize)
        {
            writer.Write(_gop.AsSpan(offset, Math.Min(ChunkSize, _gop.Length - offset)));
            _ = writer.FlushAsync().GetAwaiter().GetResult();
            if (!reader.TryRead(out var result))
            {
                throw new InvalidOperationException("pipe has no data after a flush");
            }

            var buffer = result.Buffer;
            var consumed = Dispatch(buffer, ref frames);
            reader.AdvanceTo(consumed, buffer.End);
        }

        if (frames != Packets.PacketsPerGop)
        {
            throw new InvalidOperationException($"parsed {frames} frames, expected {Packets.PacketsPerGop}");
        }

        return _bytesCopied;
    }

    private SequencePosition Dispatch(ReadOnlySequence<byte> buffer, ref int frames)
    {
        var reader = new SequenceReader<byte>(buffer);
        while (!reader.End)
        {
            var status = InterleavedFrame.TryRead(ref reader, out _, out var payload);
            if (status == OperationStatus.NeedMoreData)
            {
                break;
            }

            if (status != OperationStatus.Done)
            {
                throw new InvalidOperationException("invalid frame");
            }

            var packet = _pool.Rent((int)payload.Length);
            payload.CopyTo(packet.Buffer.Span);
            packet.Length = (int)payload.Length;
            _bytesCopied += packet.Length;
            packet.Release();
            frames++;
        }

        return reader.Position;
    }
}
