using System.Buffers.Binary;
using BenchmarkDotNet.Attributes;
using StreamGateway.Protocols.Codecs;
using StreamGateway.Protocols.Rtp;
using StreamGateway.Recording.Mp4;

namespace StreamGateway.Benchmarks;

/// <summary>
/// The recorder's per-packet work without the disk: one GOP of the synthetic stream (H.264 FU-A, 8 packets a
/// frame, 50 frames) and 2 s of 16 kHz AAC (one 180-byte AU a packet) depacketized into reused
/// <see cref="MediaUnitList"/>s, video access units turned into length-prefixed samples, muxed into fragmented
/// MP4 (a fragment a second) written to <see cref="Stream.Null"/>. Numbers are per packet.
/// </summary>
[Config(typeof(MicroConfig))]
public class RecorderBenchmarks
{
    private const int AudioPacketsPerGop = 31; // 2 s * 16000 / 1024
    private const int AudioFrameBytes = 180;
    private const int FramesPerFragment = 25;

    private readonly NalDepacketizer _video = new(h265: false);
    private readonly MediaUnitList _accessUnit = new(256 * 1024);
    private readonly MediaUnitList _audioFrames = new(4 * 1024);
    private readonly BoxBuffer _sample = new(256 * 1024);
    private byte[][] _videoPackets = [];
    private byte[][] _audioPackets = [];
    private AacDepacketizer _audio = null!;
    private FragmentedMp4Muxer _muxer = null!;
    private long _videoTime;
    private long _audioTime;
    private int _frame;

    [GlobalSetup]
    public void Setup()
    {
        _videoPackets = new byte[Packets.PacketsPerGop][];
        for (var i = 0; i < Packets.PacketsPerGop; i++)
        {
            _videoPackets[i] = new byte[Packets.RtpLength];
            Packets.WriteRtp(_videoPackets[i], i, (ushort)i, (uint)(i / Packets.PacketsPerFrame) * Packets.TimestampPerFrame);
        }

        _audioPackets = new byte[AudioPacketsPerGop][];
        for (var i = 0; i < AudioPacketsPerGop; i++)
        {
            var rtp = _audioPackets[i] = new byte[12 + 4 + AudioFrameBytes];
            rtp[0] = 0x80;
            rtp[1] = 0x80 | 97;
            BinaryPrimitives.WriteUInt16BigEndian(rtp.AsSpan(2), (ushort)i);
            BinaryPrimitives.WriteUInt32BigEndian(rtp.AsSpan(4), (uint)(i * AacDepacketizer.SamplesPerFrame));
            BinaryPrimitives.WriteUInt16BigEndian(rtp.AsSpan(12), 16); // one 16-bit AU header
            BinaryPrimitives.WriteUInt16BigEndian(rtp.AsSpan(14), AudioFrameBytes << 3);
        }

        if (!AacDepacketizer.TryCreate("config=1408;sizelength=13;indexlength=3;indexdeltalength=3", out var aac))
        {
            throw new InvalidOperationException("AAC fmtp refused");
        }

        _audio = aac!;
        var video = new Mp4Track { TrackId = 1, Codec = Mp4Codec.H264, Timescale = 90000, Width = 1920, Height = 1080, DecoderConfig = [1, 0x42, 0xC0, 0x28, 0xFF, 0xE0, 0x00] };
        _muxer = new FragmentedMp4Muxer(Stream.Null, [video, Mp4Track.Aac(2, _audio.AudioSpecificConfig, 16000, 1)]);
        RecordGop();
        RecordGop(); // every reused buffer at size
    }

    [Benchmark(OperationsPerInvoke = Packets.PacketsPerGop + AudioPacketsPerGop, Description = "Recorder depacketize + mux (per packet)")]
    public long RecordGop()
    {
        var audioNext = 0;
        for (var i = 0; i < _videoPackets.Length; i++)
        {
            if (audioNext < AudioPacketsPerGop && audioNext * Packets.PacketsPerGop <= i * AudioPacketsPerGop)
            {
                PushAudio(_audioPackets[audioNext++]);
            }

            var rtp = _videoPackets[i];
            RtpHeader.TryParse(rtp, out var header);
            _video.Push(RtpHeader.GetPayload(rtp, header), header.SequenceNumber, _accessUnit);
            if (header.Marker && _accessUnit.Count > 0)
            {
                WriteVideo(keyframe: i < Packets.PacketsPerFrame);
            }
        }

        while (audioNext < AudioPacketsPerGop)
        {
            PushAudio(_audioPackets[audioNext++]);
        }

        return _muxer.BytesWritten;
    }

    private void WriteVideo(bool keyframe)
    {
        _sample.Clear();
        for (var n = 0; n < _accessUnit.Count; n++)
        {
            _sample.U32((uint)_accessUnit[n].Length);
            _sample.Bytes(_accessUnit[n]);
        }

        _accessUnit.Clear();
        if (keyframe || _frame % FramesPerFragment == 0)
        {
            _muxer.FlushFragment();
        }

        _muxer.AddSample(0, _videoTime, _sample.Written, keyframe);
        _videoTime += Packets.TimestampPerFrame;
        _frame++;
    }

    private void PushAudio(byte[] rtp)
    {
        RtpHeader.TryParse(rtp, out var header);
        _audioFrames.Clear();
        _audio.Push(RtpHeader.GetPayload(rtp, header), header.SequenceNumber, header.Timestamp, _audioFrames);
        for (var n = 0; n < _audioFrames.Count; n++)
        {
            _muxer.AddSample(1, _audioTime, _audioFrames[n], isSync: true);
            _audioTime += AacDepacketizer.SamplesPerFrame;
        }
    }
}
