using Microsoft.Extensions.Logging;

namespace StreamGateway.Archive;

/// <summary>Archive logs; event ids 1600-1699 are stable (operators alert on 1601).</summary>
internal static partial class ArchiveLog
{
    [LoggerMessage(1600, LogLevel.Information, "Retention: deleted {Segments} segments ({Bytes} bytes) older than {MaxDays} days; oldest kept {Oldest:u}")]
    public static partial void RetentionDeleted(ILogger logger, int segments, long bytes, int maxDays, DateTimeOffset? oldest);

    [LoggerMessage(1601, LogLevel.Warning, "ARCHIVE FLOOR AT RISK: volume {Volume} holds {DaysFit:F1} days at the current rate ({BytesPerDay} bytes/day, {Available} bytes free) but the retention floor is {RetentionDays} days. Nothing inside the floor will be deleted: add storage or lower the load, or recording will stop when the disk fills")]
    public static partial void FloorAtRisk(ILogger logger, string volume, double daysFit, long bytesPerDay, long available, int retentionDays);

    [LoggerMessage(1602, LogLevel.Warning, "Retention could not delete {Path}: {Reason}")]
    public static partial void DeleteFailed(ILogger logger, string path, string reason);

    [LoggerMessage(1603, LogLevel.Error, "Retention pass failed: {Reason}")]
    public static partial void RetentionFailed(ILogger logger, string reason);

    [LoggerMessage(1604, LogLevel.Warning, "Archive floor at risk and the operator asked to pause low-priority cameras: pausing {Cameras}")]
    public static partial void PausingCameras(ILogger logger, string cameras);

    [LoggerMessage(1605, LogLevel.Information, "Retention: {Segments} segments kept, archive depth {DepthDays:F1} days, forecast {DaysFit} days on {Volume}")]
    public static partial void RetentionSummary(ILogger logger, int segments, double depthDays, string daysFit, string volume);
}
