namespace StreamGateway.Recording;

/// <summary>How one camera is recorded. Value equality tells a reload whether its recorder must restart.</summary>
public sealed record RecorderOptions
{
    /// <summary>Required. The archive root (<c>Gateway:Recording:Path</c>).</summary>
    public required string RootPath { get; init; }

    /// <summary>Required. School id: the first directory under the root.</summary>
    public required string School { get; init; }

    /// <summary>Required. Camera id: the directory under the school.</summary>
    public required string Camera { get; init; }

    /// <summary>Segment length in seconds (5..3600, default 60); segments start at keyframes aligned to multiples of it in UTC.</summary>
    public int SegmentSeconds { get; init; } = 60;

    /// <summary>No packet for this long means the camera is offline: the segment ends and a gap starts. Default 2 s.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Longest fragment: what a crash can lose at most. Default 1 s.</summary>
    public TimeSpan FragmentDuration { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>After a write error, no new segment is tried for this long. Default 5 s.</summary>
    public TimeSpan RetryAfterWriteError { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The camera's directory: <c>{RootPath}/{School}/{Camera}</c>.</summary>
    public string CameraDirectory => Path.Combine(RootPath, School, Camera);

    /// <summary>The segment path for a start time: <c>{RootPath}/{school}/{camera}/{yyyy-MM-dd}/{HH-mm-ss}.mp4</c> (UTC).</summary>
    public string SegmentPath(DateTimeOffset startUtc)
    {
        var utc = startUtc.UtcDateTime;
        return Path.Combine(
            CameraDirectory,
            utc.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            utc.ToString("HH-mm-ss", System.Globalization.CultureInfo.InvariantCulture) + ".mp4");
    }
}

/// <summary>A recorder's state for the status API. Holds no secrets.</summary>
public sealed record RecorderStatus(
    string Path,
    string State,
    string? CurrentSegment,
    long BytesWritten,
    long SegmentsWritten,
    long DroppedPackets,
    long Gaps,
    long RepairedTimestamps,
    long WriteErrors,
    string? LastError,
    double BitrateBytesPerSecond);

/// <summary>Values of <see cref="RecorderStatus.State"/>.</summary>
public static class RecorderStates
{
    public const string Starting = "Starting";
    public const string WaitingForKeyframe = "WaitingForKeyframe";
    public const string Recording = "Recording";
    public const string CameraOffline = "CameraOffline";
    public const string Unsupported = "Unsupported";
    public const string WriteError = "WriteError";
    public const string Stopped = "Stopped";
}
