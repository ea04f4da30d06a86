using Microsoft.Extensions.Logging;

namespace StreamGateway.Ingest;

/// <summary>Ingest log messages; event ids 1000-1099 are stable for operators' alert rules.</summary>
internal static partial class IngestLog
{
    [LoggerMessage(1000, LogLevel.Information, "Camera {Path}: streaming over {Transport}, tracks: {Tracks}")]
    public static partial void Streaming(ILogger logger, string path, IngestTransport transport, string tracks);

    [LoggerMessage(1001, LogLevel.Warning, "Camera {Path}: session failed ({Reason}); retry {Attempt} in {DelaySeconds:0.#} s")]
    public static partial void SessionFailed(ILogger logger, string path, string reason, int attempt, double delaySeconds);

    [LoggerMessage(1002, LogLevel.Information, "Camera {Path}: skipped a track: {Reason}")]
    public static partial void TrackSkipped(ILogger logger, string path, string reason);

    [LoggerMessage(1003, LogLevel.Warning, "Camera {Path}: no media over UDP; switching to TCP")]
    public static partial void FallingBackToTcp(ILogger logger, string path);

    [LoggerMessage(1004, LogLevel.Information, "Camera {Path}: started ({Source})")]
    public static partial void Started(ILogger logger, string path, string source);

    [LoggerMessage(1005, LogLevel.Information, "Camera {Path}: stopped")]
    public static partial void Stopped(ILogger logger, string path);

    [LoggerMessage(1006, LogLevel.Warning, "Camera {Path}: stream ended ({Reason}); reconnecting")]
    public static partial void StreamEnded(ILogger logger, string path, string reason);

    [LoggerMessage(1007, LogLevel.Information, "Camera {Path}: on demand, waiting for a viewer")]
    public static partial void WaitingForDemand(ILogger logger, string path);

    [LoggerMessage(1008, LogLevel.Information, "Camera {Path}: no viewer left; disconnecting until the next one")]
    public static partial void DemandEnded(ILogger logger, string path);

    [LoggerMessage(1010, LogLevel.Warning, "Camera {Path}: offers {Count} tracks instead of {Known} for a whole retry window; accepting the new media")]
    public static partial void TracksReduced(ILogger logger, string path, int count, int known);

    [LoggerMessage(1011, LogLevel.Error, "School {School}: offline, all {Cameras} cameras lost within {WindowSeconds} s (link down?); probing with {Probe}")]
    public static partial void SchoolOffline(ILogger logger, string school, int cameras, double windowSeconds, string probe);

    [LoggerMessage(1012, LogLevel.Information, "School {School}: back online after {Seconds:0.#} s; reconnecting the other cameras {StaggerSeconds:0.#} s apart")]
    public static partial void SchoolOnline(ILogger logger, string school, double seconds, double staggerSeconds);

    [LoggerMessage(1009, LogLevel.Error, "Camera {Path}: unexpected failure")]
    public static partial void UnexpectedFailure(ILogger logger, string path, Exception exception);
}
