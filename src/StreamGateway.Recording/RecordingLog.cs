using Microsoft.Extensions.Logging;

namespace StreamGateway.Recording;

/// <summary>Recording log messages; event ids 700-799 are stable for operators' alert rules.</summary>
internal static partial class RecordingLog
{
    [LoggerMessage(700, LogLevel.Information, "Recording {Path} into {Directory}")]
    public static partial void Started(ILogger logger, string path, string directory);

    [LoggerMessage(701, LogLevel.Information, "Recording of {Path} stopped")]
    public static partial void Stopped(ILogger logger, string path);

    [LoggerMessage(702, LogLevel.Debug, "Segment {File} started")]
    public static partial void SegmentStarted(ILogger logger, string file);

    [LoggerMessage(703, LogLevel.Debug, "Segment {File} ended ({Reason}): {Seconds:0.0} s, {Bytes} bytes")]
    public static partial void SegmentEnded(ILogger logger, string file, string reason, double seconds, long bytes);

    [LoggerMessage(704, LogLevel.Warning, "Recording gap on {Path}: {Cause}")]
    public static partial void GapStarted(ILogger logger, string path, string cause);

    [LoggerMessage(705, LogLevel.Error, "Recording of {Path} cannot write: {Error}; retrying at a later keyframe")]
    public static partial void WriteFailed(ILogger logger, string path, string error);

    [LoggerMessage(706, LogLevel.Warning, "Recording of {Path}: {Track} is not recorded ({Reason})")]
    public static partial void TrackSkipped(ILogger logger, string path, string track, string reason);

    [LoggerMessage(707, LogLevel.Warning, "Recording of {Path}: no usable parameter sets yet (SDP or in-band); waiting")]
    public static partial void NoParameterSets(ILogger logger, string path);

    [LoggerMessage(708, LogLevel.Error, "Recorder of {Path} failed")]
    public static partial void RecorderFailed(ILogger logger, string path, Exception exception);

    [LoggerMessage(709, LogLevel.Warning, "Recording journal of {Path} cannot be written: {Error}")]
    public static partial void JournalFailed(ILogger logger, string path, string error);
}
