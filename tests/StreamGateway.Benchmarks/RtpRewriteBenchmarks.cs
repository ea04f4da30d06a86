using BenchmarkDotNet.Attributes;
using StreamGateway.Ingest;
using StreamGateway.Protocols.Codecs;
using StreamGateway.Protocols.Rtp;

namespace StreamGateway.Benchmarks;

/// <summary>
/// The producer's per-packet RTP work (CameraSession.OnPacket): parse the header, classify the payload
/// (keyframe start) and rewrite SSRC, sequence number and timestamp in place (RtpContinuity).
/// The camera's numbers advance in step with a hand-moved clock, so no resync happens: the steady state.
/// </summary>
[Config(typeof(MicroConfig))]
public class RtpRewriteBenchmarks
{
    private readonly byte[][] _packets = new byte[Packets.PacketsPerGop][];
    private ManualClock _clock = null!;
    private RtpContinuity _continuity = null!;
    private ushort _sequence;
    private uint _timestamp;

    [GlobalSetup]
    public void Setup()
    {
        for (var i = 0; i < _packets.Length; i++)
        {
            _packets[i] = new byte[Packets.RtpLength];
            Packets.WriteRtp(_packets[i], i, (ushort)i, 0);
        }

        _clock = new ManualClock();
        _continuity = new RtpContinuity(0x53474157, 90000, _clock);
    }

    [Benchmark(OperationsPerInvoke = Packets.PacketsPerGop, Description = "RTP header parse + rewrite")]
    public uint ParseAndRewrite() => Run(classify: false);

    [Benchmark(OperationsPerInvoke = Packets.PacketsPerGop, Description = "RTP parse + keyframe check + rewrite")]
    public uint ParseClassifyAndRewrite() => Run(classify: true);

    private uint Run(bool classify)
    {
        var keyframes = 0u;
        for (var i = 0; i < _packets.Length; i++)
        {
            var packet = _packets[i].AsSpan();
            if (i % Packets.PacketsPerFrame == 0)
            {
                _timestamp += Packets.TimestampPerFrame;
                _clock.Now += Packets.TimestampPerFrame; // clock frequency is 90 kHz
            }

            // The camera's numbering (the rewrite overwrote the previous values in place).
            RtpHeader.WriteSequenceNumber(packet, _sequence++);
            RtpHeader.WriteTimestamp(packet, _timestamp);
            RtpHeader.WriteSsrc(packet, Packets.CameraSsrc);
            if (!RtpHeader.TryParse(packet, out var header))
            {
                throw new InvalidOperationException("bad RTP");
            }

            if (classify && KeyframeDetector.IsKeyframeStart("H264", RtpHeader.GetPayload(packet, header)))
            {
                keyframes++;
            }

            _continuity.RewriteRtp(packet, header);
        }

        if (_continuity.Resyncs != 0)
        {
            throw new InvalidOperationException("the benchmark stream was taken for a reset");
        }

        return keyframes;
    }
}
