using System.Buffers.Binary;
using System.Text;
using StreamGateway.Protocols.Codecs;
using StreamGateway.Recording.Mp4;
using StreamGateway.Recording.Tests.Support;

namespace StreamGateway.Recording.Tests.Mp4;

public sealed class FragmentedMp4MuxerTests
{
    private const int Fps = 25;
    private const int FrameTicks = 90000 / Fps;

    public static TheoryData<string, int, bool> Files => new()
    {
        // codec, frames, with AAC audio
        { "h264", 250, false },
        { "h264", 250, true },
        { "hevc", 100, false },
        { "hevc", 100, true },
    };

    [Theory]
    [MemberData(nameof(Files))]
    public async Task Writes_a_file_that_ffprobe_and_ffmpeg_read_with_the_right_codec_size_frames_and_duration(string codec, int frames, bool withAudio)
    {
        using var temp = new TempDirectory();
        var units = codec == "h264" ? Media.H264Units() : await Media.H265UnitsAsync(temp.Path, frames);
        var video = BuildVideoTrack(codec, units);
        var tracks = new List<Mp4Track> { video };
        (List<byte[]> Frames, byte[] Config) audio = default;
        if (withAudio)
        {
            audio = await Media.AacFramesAsync(temp.Path, 16000, frames / (double)Fps + 1);
            tracks.Add(Mp4Track.Aac(2, audio.Config, 16000, 1));
        }

        var path = Path.Combine(temp.Path, "out.mp4");
        await using (var file = File.Create(path))
        {
            var muxer = new FragmentedMp4Muxer(file, tracks);
            var audioIndex = 0;
            for (var i = 0; i < frames; i++)
            {
                var au = units[i % units.Count];
                var key = IsKey(codec, au);
                if (key || muxer.OpenFragmentDuration(0) >= 90000)
                {
                    muxer.FlushFragment();
                }

                muxer.AddSample(0, (long)i * FrameTicks, Media.Sample(au), key);

                // Interleave audio up to the video time, as a camera would.
                while (withAudio && audioIndex < audio.Frames!.Count && audioIndex * 1024L * Fps <= (i + 1) * 16000L)
                {
                    muxer.AddSample(1, audioIndex * 1024L, audio.Frames[audioIndex], isSync: true);
                    audioIndex++;
                }
            }

            muxer.Finish();
            Assert.Equal(0, muxer.RepairedTimestamps);
        }

        using var probe = await Tool.ProbeAsync(path);
        var streams = probe.RootElement.GetProperty("streams").EnumerateArray().ToList();
        Assert.Equal(withAudio ? 2 : 1, streams.Count);
        var v = streams.Single(s => s.GetProperty("codec_type").GetString() == "video");
        Assert.Equal(codec, v.GetProperty("codec_name").GetString());
        Assert.Equal(video.Width, v.GetProperty("width").GetInt32());
        Assert.Equal(video.Height, v.GetProperty("height").GetInt32());
        Assert.Equal(frames, (int)Tool.Number(v, "nb_read_frames"));
        if (withAudio)
        {
            var a = streams.Single(s => s.GetProperty("codec_type").GetString() == "audio");
            Assert.Equal("aac", a.GetProperty("codec_name").GetString());
            Assert.Equal(16000, (int)Tool.Number(a, "sample_rate"));
        }

        var expected = frames / (double)Fps;
        var duration = Tool.Number(probe.RootElement.GetProperty("format"), "duration");
        Assert.InRange(duration, expected * 0.95, expected * 1.05);

        var times = await Tool.PacketTimesAsync(path);
        foreach (var (stream, pts) in times)
        {
            for (var i = 1; i < pts.Count; i++)
            {
                Assert.True(pts[i] > pts[i - 1], $"stream {stream}: pts {pts[i]} after {pts[i - 1]} at packet {i}");
            }
        }

        Assert.Equal(string.Empty, await Tool.DecodeErrorsAsync(path));
    }

    [Fact]
    public void Init_segment_and_fragments_have_the_expected_top_level_and_moov_boxes()
    {
        var units = Media.H264Units();
        var output = new MemoryStream();
        var muxer = new FragmentedMp4Muxer(output, [BuildVideoTrack("h264", units)]);
        for (var i = 0; i < 60; i++)
        {
            if (i % 25 == 0)
            {
                muxer.FlushFragment();
            }

            muxer.AddSample(0, (long)i * FrameTicks, Media.Sample(units[i % units.Count]), i % 25 == 0);
        }

        muxer.Finish();
        var bytes = output.ToArray();
        Assert.Equal(["ftyp", "moov", "moof", "mdat", "moof", "mdat", "moof", "mdat"], TopLevel(bytes).Select(b => b.Type));
        var moov = TopLevel(bytes).Single(b => b.Type == "moov");
        Assert.Equal(["mvhd", "trak", "mvex"], Children(bytes, moov.Start + 8, moov.End).Select(b => b.Type));
        Assert.Equal(bytes.Length, muxer.BytesWritten);
    }

    public static TheoryData<long[], long[], int> RepairCases => new()
    {
        // decode times in, decode times written (pts of each sample), repairs
        { new long[] { 0, 3600, 7200, 10800 }, new long[] { 0, 3600, 7200, 10800 }, 0 },
        { new long[] { 0, 3600, 3600, 10800 }, new long[] { 0, 3600, 3601, 10800 }, 1 },
        { new long[] { 0, 3600, 1000, 10800 }, new long[] { 0, 3600, 3601, 10800 }, 1 },
    };

    [Theory]
    [MemberData(nameof(RepairCases))]
    public void Decode_times_that_do_not_increase_are_moved_forward_and_counted(long[] input, long[] expected, int repairs)
    {
        var units = Media.H264Units();
        var output = new MemoryStream();
        var muxer = new FragmentedMp4Muxer(output, [BuildVideoTrack("h264", units)]);
        for (var i = 0; i < input.Length; i++)
        {
            muxer.AddSample(0, input[i], Media.Sample(units[i]), i == 0);
        }

        muxer.Finish();
        Assert.Equal(repairs, muxer.RepairedTimestamps);
        var bytes = output.ToArray();
        var moof = TopLevel(bytes).Single(b => b.Type == "moof");
        var durations = TrunDurations(bytes, moof);
        var times = new List<long> { 0 };
        foreach (var d in durations.SkipLast(1))
        {
            times.Add(times[^1] + d);
        }

        Assert.Equal(expected, times);
    }

    internal static Mp4Track BuildVideoTrack(string codec, IReadOnlyList<IReadOnlyList<ReadOnlyMemory<byte>>> units)
    {
        var nals = units.SelectMany(u => u).ToList();
        if (codec == "h264")
        {
            var sps = nals.First(n => (n.Span[0] & 0x1F) == 7).ToArray();
            var pps = nals.First(n => (n.Span[0] & 0x1F) == 8).ToArray();
            return Mp4Track.H264(1, sps, pps) ?? throw new InvalidDataException("SPS did not parse");
        }

        byte[] Find(int type) => nals.First(n => ((n.Span[0] >> 1) & 0x3F) == type).ToArray();
        return Mp4Track.H265(1, Find(32), Find(33), Find(34)) ?? throw new InvalidDataException("SPS did not parse");
    }

    internal static bool IsKey(string codec, IReadOnlyList<ReadOnlyMemory<byte>> au) => codec == "h264"
        ? au.Any(n => (n.Span[0] & 0x1F) == H264.NalIdr)
        : au.Any(n => ((n.Span[0] >> 1) & 0x3F) is >= 16 and <= 21);

    private static List<(string Type, int Start, int End)> TopLevel(byte[] data) => Children(data, 0, data.Length);

    private static List<(string Type, int Start, int End)> Children(byte[] data, int start, int end)
    {
        var boxes = new List<(string, int, int)>();
        for (var at = start; at + 8 <= end;)
        {
            var size = (int)BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(at));
            Assert.InRange(size, 8, end - at);
            boxes.Add((Encoding.ASCII.GetString(data, at + 4, 4), at, at + size));
            at += size;
        }

        return boxes;
    }

    private static List<uint> TrunDurations(byte[] data, (string Type, int Start, int End) moof)
    {
        var traf = Children(data, moof.Start + 8, moof.End).Single(b => b.Type == "traf");
        var trun = Children(data, traf.Start + 8, traf.End).Single(b => b.Type == "trun");
        var count = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(trun.Start + 12));
        var result = new List<uint>();
        for (var i = 0; i < count; i++)
        {
            result.Add(BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(trun.Start + 20 + (i * 12))));
        }

        return result;
    }
}
