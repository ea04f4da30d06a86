using StreamGateway.Configuration;
using StreamGateway.Recording;
using StreamGateway.Relay;

namespace StreamGateway.Hosting;

/// <summary>Turns the config into the recorders the <see cref="RecordingManager"/> should run.</summary>
internal static class RecordingWiring
{
    /// <summary>Every camera with recording enabled and a hub: path → (hub, recorder options).</summary>
    public static Dictionary<string, (StreamHub Hub, RecorderOptions Options)> Wanted(GatewayConfig config, StreamRegistry registry)
    {
        var root = Path.GetFullPath(config.Recording.Path);
        var wanted = new Dictionary<string, (StreamHub, RecorderOptions)>(StringComparer.Ordinal);
        foreach (var camera in config.Schools.SelectMany(s => s.Cameras))
        {
            if (!camera.RecordingEnabled || registry.Resolve(camera.Path) is not { } hub)
            {
                continue;
            }

            wanted[camera.Path] = (hub, new RecorderOptions
            {
                RootPath = root,
                School = camera.SchoolId,
                Camera = camera.CameraId,
                SegmentSeconds = config.Recording.SegmentSeconds,
            });
        }

        return wanted;
    }
}
