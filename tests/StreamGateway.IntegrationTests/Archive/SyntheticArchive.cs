using System.Globalization;
using StreamGateway.Archive;
using StreamGateway.IntegrationTests.Infrastructure;

namespace StreamGateway.IntegrationTests.Archive;

/// <summary>
/// A small archive of real fragmented MP4 segments (ffmpeg, 5 s, a keyframe every second) at fixed
/// times, with a config pointing at it. school-1/cam-a has footage [T0, T0+30 s) and [T0+50 s, T0+80 s)
/// and a journal naming the 20 s hole "camera-offline"; school-1/cam-b has [T0, T0+80 s); school-2/cam-c
/// has nothing. Built once per test class.
/// </summary>
public sealed class SyntheticArchive : IAsyncLifetime
{
    public static readonly DateTimeOffset T0 = new(2026, 11, 27, 16, 5, 0, TimeSpan.Zero);

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("sg-archive-cli-").FullName;

    public string Root => Path.Combine(Directory, "archive");

    public string ConfigPath => Path.Combine(Directory, "gateway.json");

    public async Task InitializeAsync()
    {
        var segment = Path.Combine(Directory, "seg.mp4");
        var made = await ProcessRunner.RunAsync(
            "ffmpeg",
            ["-y", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-t", "5",
             "-movflags", "+frag_keyframe+empty_moov+default_base_moof", segment],
            TimeSpan.FromSeconds(60));
        Assert.True(made.Succeeded, "ffmpeg could not make the test segment: " + made.ErrorTail());

        for (var s = 0; s < 80; s += 5)
        {
            Place(segment, "school-1", "cam-b", T0.AddSeconds(s));
            if (s is < 30 or >= 50)
            {
                Place(segment, "school-1", "cam-a", T0.AddSeconds(s));
            }
        }

        await File.WriteAllLinesAsync(Path.Combine(Root, "school-1", "cam-a", ArchiveIndex.EventsFileName),
        [
            $$"""{"at":"{{T0.AddSeconds(30):yyyy-MM-ddTHH:mm:ssZ}}","event":"gap-start","cause":"camera-offline"}""",
            "garbage line",
            $$"""{"at":"{{T0.AddSeconds(50):yyyy-MM-ddTHH:mm:ssZ}}","event":"gap-end","cause":"camera-offline"}""",
        ]);
        await File.WriteAllTextAsync(ConfigPath, $$"""
            {
              "Gateway": {
                "Recording": { "Path": "{{Root}}", "RetentionDays": 1 },
                "Schools": {
                  "school-1": {
                    "Name": "School No. 1", "District": "North",
                    "Cameras": {
                      "cam-a": { "Source": "rtsp://127.0.0.1:1/a" },
                      "cam-b": { "Source": "rtsp://127.0.0.1:1/b" }
                    }
                  },
                  "school-2": {
                    "Name": "School No. 2", "District": "South",
                    "Cameras": { "cam-c": { "Source": "rtsp://127.0.0.1:1/c" } }
                  }
                }
              }
            }
            """);
    }

    public static string Iso(DateTimeOffset t) => t.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    private void Place(string segment, string school, string camera, DateTimeOffset start)
    {
        var path = ArchiveIndex.SegmentPath(Root, school, camera, start);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.Copy(segment, path, overwrite: true);
    }

    public Task DisposeAsync()
    {
        System.IO.Directory.Delete(Directory, recursive: true);
        return Task.CompletedTask;
    }
}
