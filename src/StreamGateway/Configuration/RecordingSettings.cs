namespace StreamGateway.Configuration;

/// <summary>
/// <c>Gateway:Recording</c>: where and how every camera is archived. Key names are final (operators' scripts
/// and audits rely on them and on the archive layout <c>{Path}/{school}/{camera}/{yyyy-MM-dd}/{HH-mm-ss}.mp4</c>).
/// <c>Enabled</c> can be overridden under a school and under a camera (<c>…:Recording:Enabled</c>).
/// </summary>
internal sealed record RecordingSettings
{
    public static readonly RecordingSettings Default = new();

    public const int MinSegmentSeconds = 5;
    public const int MaxSegmentSeconds = 3600;

    /// <summary>Archive root. Optional, default <c>data/archive</c> (relative to the working directory).</summary>
    public string Path { get; init; } = "data/archive";

    /// <summary>Record every camera unless a school or camera says otherwise. Optional, default true.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>Segment length in seconds. Optional, default 60, 5..3600.</summary>
    public int SegmentSeconds { get; init; } = 60;

    /// <summary>Days every segment is kept at least (the legal floor). Optional, default 30, at least 1.</summary>
    public int RetentionDays { get; init; } = 30;

    /// <summary>Segments older than this many days are deleted. Optional (null: never by age); at least RetentionDays.</summary>
    public int? MaxDays { get; init; }

    /// <summary>The config keys under <c>Gateway:Recording</c>.</summary>
    public static readonly string[] Keys = ["Path", "Enabled", "SegmentSeconds", "RetentionDays", "MaxDays"];

    /// <summary>The keys allowed under a school's or camera's <c>Recording</c>.</summary>
    public static readonly string[] OverrideKeys = ["Enabled"];
}
