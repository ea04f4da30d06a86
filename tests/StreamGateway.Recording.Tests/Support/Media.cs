using StreamGateway.Protocols.Codecs;
using StreamGateway.Protocols.Sdp;

namespace StreamGateway.Recording.Tests.Support;

/// <summary>Test media: the demo H.264 clip, and H.265 / AAC elementary streams made by ffmpeg into a temp dir.</summary>
internal static class Media
{
    public static string ClipH264 => Path.Combine(AppContext.BaseDirectory, "testdata", "clip.h264");

    public static IReadOnlyList<IReadOnlyList<ReadOnlyMemory<byte>>> H264Units() => H264AccessUnits.Split(File.ReadAllBytes(ClipH264));

    /// <summary>An H.265 Annex B stream (testsrc, 320x240, 25 fps, GOP 25), split into access units.</summary>
    public static async Task<IReadOnlyList<IReadOnlyList<ReadOnlyMemory<byte>>>> H265UnitsAsync(string directory, int frames)
    {
        var path = Path.Combine(directory, "test.h265");
        var (code, _, error) = await Tool.RunAsync("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-frames:v", frames.ToString(System.Globalization.CultureInfo.InvariantCulture), "-c:v", "libx265", "-x265-params", "keyint=25:min-keyint=25:bframes=0:log-level=error", "-f", "hevc", path]);
        Assert.True(code == 0, "ffmpeg could not make the H.265 test stream: " + error);
        var units = new List<IReadOnlyList<ReadOnlyMemory<byte>>>();
        var current = new List<ReadOnlyMemory<byte>>();
        var hasVcl = false;
        foreach (var nal in AnnexB.SplitNalUnits(File.ReadAllBytes(path)))
        {
            var type = (nal.Span[0] >> 1) & 0x3F;
            var vcl = type < 32;
            var startsNew = hasVcl && (vcl ? (nal.Span[2] & 0x80) != 0 : type is 32 or 33 or 34 or 35 or 39);
            if (startsNew)
            {
                units.Add(current);
                current = [];
                hasVcl = false;
            }

            current.Add(nal);
            hasVcl |= vcl;
        }

        if (current.Count > 0)
        {
            units.Add(current);
        }

        return units;
    }

    /// <summary>AAC-LC frames (raw, ADTS headers removed) and their AudioSpecificConfig.</summary>
    public static async Task<(List<byte[]> Frames, byte[] Config)> AacFramesAsync(string directory, int sampleRate, double seconds)
    {
        var path = Path.Combine(directory, "test.aac");
        var (code, _, error) = await Tool.RunAsync("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", $"sine=frequency=440:sample_rate={sampleRate}", "-t", seconds.ToString(System.Globalization.CultureInfo.InvariantCulture), "-ac", "1", "-c:a", "aac", "-f", "adts", path]);
        Assert.True(code == 0, "ffmpeg could not make the AAC test stream: " + error);
        var data = File.ReadAllBytes(path);
        var frames = new List<byte[]>();
        byte[]? config = null;
        for (var i = 0; i + 7 <= data.Length;)
        {
            Assert.True(data[i] == 0xFF && (data[i + 1] & 0xF0) == 0xF0, "ADTS sync lost");
            var protectionAbsent = (data[i + 1] & 1) == 1;
            var length = ((data[i + 3] & 0x03) << 11) | (data[i + 4] << 3) | (data[i + 5] >> 5);
            var header = protectionAbsent ? 7 : 9;
            if (config is null)
            {
                var objectType = (data[i + 2] >> 6) + 1;
                var frequencyIndex = (data[i + 2] >> 2) & 0x0F;
                var channels = ((data[i + 2] & 1) << 2) | (data[i + 3] >> 6);
                config = [(byte)((objectType << 3) | (frequencyIndex >> 1)), (byte)(((frequencyIndex & 1) << 7) | (channels << 3))];
            }

            frames.Add(data.AsSpan(i + header, length - header).ToArray());
            i += length;
        }

        return (frames, config!);
    }

    /// <summary>4-byte length-prefixed NAL units: an MP4 sample.</summary>
    /// <summary>An H.264 track (index 0, payload type 96) whose fmtp carries the SPS and PPS found in <paramref name="units"/>.</summary>
    public static TrackDescription H264Track(IReadOnlyList<IReadOnlyList<ReadOnlyMemory<byte>>> units)
    {
        var nals = units.SelectMany(u => u).ToList();
        var sps = nals.First(n => (n.Span[0] & 0x1F) == 7).ToArray();
        var pps = nals.First(n => (n.Span[0] & 0x1F) == 8).ToArray();
        return new TrackDescription
        {
            Index = 0,
            Kind = MediaKind.Video,
            PayloadType = 96,
            EncodingName = "H264",
            ClockRate = 90000,
            Fmtp = $"packetization-mode=1;sprop-parameter-sets={Convert.ToBase64String(sps)},{Convert.ToBase64String(pps)}",
            ControlUrl = "trackID=0",
        };
    }

    public static byte[] Sample(IReadOnlyList<ReadOnlyMemory<byte>> nals)
    {
        var output = new MemoryStream();
        foreach (var nal in nals)
        {
            var length = new byte[4];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(length, (uint)nal.Length);
            output.Write(length);
            output.Write(nal.Span);
        }

        return output.ToArray();
    }
}

/// <summary>A temp directory removed at dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "sg-rec-" + Guid.NewGuid().ToString("N")[..12]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
