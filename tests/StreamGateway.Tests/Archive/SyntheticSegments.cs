using System.Diagnostics;
using StreamGateway.Archive;

namespace StreamGateway.Tests.Archive;

/// <summary>
/// One real fragmented MP4 made by ffmpeg once per test class (5 s, 25 fps, a keyframe and a fragment
/// every second), copied into archive layout paths with the times a test wants.
/// </summary>
public sealed class SyntheticSegments : IDisposable
{
    public static readonly TimeSpan SegmentLength = TimeSpan.FromSeconds(5);

    public SyntheticSegments()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("sg-archive-").FullName;
        SegmentFile = Path.Combine(Directory, "seg.mp4");
        Make(SegmentFile, SegmentLength);
    }

    public string Directory { get; }

    /// <summary>A 5 s segment: ftyp, moov (empty_moov), then 5 moof+mdat pairs.</summary>
    public string SegmentFile { get; }

    /// <summary>Runs ffmpeg (bounded to 60 s) to make a fragmented H.264 MP4 of <paramref name="length"/>.</summary>
    public static void Make(string path, TimeSpan length)
    {
        var info = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true };
        foreach (var a in new[]
                 {
                     "-y", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=25", "-c:v", "libx264", "-preset", "ultrafast",
                     "-g", "25", "-t", length.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "-movflags", "+frag_keyframe+empty_moov+default_base_moof", path,
                 })
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("ffmpeg did not make the test segment within 60 s");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException("ffmpeg failed to make the test segment: " + error.Result);
        }
    }

    /// <summary>Copies the segment to its layout path under <paramref name="root"/>.</summary>
    public string Place(string root, string school, string camera, DateTimeOffset start)
    {
        var path = ArchiveIndex.SegmentPath(root, school, camera, start);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.Copy(SegmentFile, path, overwrite: true);
        return path;
    }

    /// <summary>Byte offsets of the top-level boxes, for cutting a copy where a crash would.</summary>
    public static List<(string Type, long Offset, long Size)> TopLevelBoxes(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var boxes = new List<(string, long, long)>();
        long offset = 0;
        for (var i = 0; i < 10_000 && offset + 8 <= bytes.Length; i++)
        {
            long size = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan((int)offset));
            var type = System.Text.Encoding.ASCII.GetString(bytes, (int)offset + 4, 4);
            boxes.Add((type, offset, size));
            offset += size;
        }

        return boxes;
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
