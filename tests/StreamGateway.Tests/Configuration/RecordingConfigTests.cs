using StreamGateway.Configuration;

namespace StreamGateway.Tests.Configuration;

public class RecordingConfigTests
{
    private const string School = "Gateway:Schools:school-12";
    private const string Camera = School + ":Cameras:entrance";

    private static readonly Dictionary<string, string?> Base = new()
    {
        [School + ":Name"] = "School No. 12",
        [Camera + ":Source"] = "rtsp://10.20.0.11/stream1",
        [School + ":Cameras:yard:Source"] = "rtsp://10.20.0.12/stream1",
    };

    private static ConfigLoadResult LoadWith(params (string Key, string? Value)[] changes) => InMemoryConfig.Load(Base, changes);

    [Fact]
    public void Without_a_Recording_section_every_camera_is_recorded_to_data_archive_in_60_s_segments_for_30_days()
    {
        var result = LoadWith();

        Assert.True(result.Success, string.Join("; ", result.Errors));
        Assert.Equal(new RecordingSettings { Path = "data/archive", Enabled = true, SegmentSeconds = 60, RetentionDays = 30, MaxDays = null }, result.Config!.Recording);
        Assert.All(result.Config.Schools.SelectMany(s => s.Cameras), c => Assert.True(c.RecordingEnabled));
    }

    [Fact]
    public void Accepts_every_recording_key()
    {
        var result = LoadWith(
            ("Gateway:Recording:Path", "/srv/archive"),
            ("Gateway:Recording:SegmentSeconds", "5"),
            ("Gateway:Recording:RetentionDays", "31"),
            ("Gateway:Recording:MaxDays", "90"));

        Assert.True(result.Success, string.Join("; ", result.Errors));
        Assert.Empty(result.Warnings);
        Assert.Equal(new RecordingSettings { Path = "/srv/archive", Enabled = true, SegmentSeconds = 5, RetentionDays = 31, MaxDays = 90 }, result.Config!.Recording);
    }

    public static TheoryData<string?, string?, string?, bool, bool> Overrides => new()
    {
        // global, school, camera Enabled → entrance recorded, yard recorded
        { null, null, null, true, true },
        { "false", null, null, false, false },
        { "true", "false", null, false, false },
        { "true", "false", "true", true, false },
        { "false", null, "true", true, false },
        { null, null, "false", false, true },
    };

    [Theory]
    [MemberData(nameof(Overrides))]
    public void Enabled_is_inherited_from_the_gateway_then_the_school_then_the_camera(string? global, string? school, string? camera, bool entrance, bool yard)
    {
        var changes = new List<(string, string?)>();
        if (global is not null)
        {
            changes.Add(("Gateway:Recording:Enabled", global));
        }

        if (school is not null)
        {
            changes.Add((School + ":Recording:Enabled", school));
        }

        if (camera is not null)
        {
            changes.Add((Camera + ":Recording:Enabled", camera));
        }

        var result = LoadWith([.. changes]);

        Assert.True(result.Success, string.Join("; ", result.Errors));
        var cameras = result.Config!.Schools.Single().Cameras.ToDictionary(c => c.CameraId);
        Assert.Equal((entrance, yard), (cameras["entrance"].RecordingEnabled, cameras["yard"].RecordingEnabled));
    }

    public static TheoryData<string, string, string> BadValues => new()
    {
        // key, value, reason fragment
        { "Gateway:Recording:SegmentSeconds", "4", "from 5 to 3600" },
        { "Gateway:Recording:SegmentSeconds", "3601", "from 5 to 3600" },
        { "Gateway:Recording:SegmentSeconds", "sixty", "from 5 to 3600" },
        { "Gateway:Recording:RetentionDays", "0", "from 1 to" },
        { "Gateway:Recording:MaxDays", "0", "from 1 to" },
        { "Gateway:Recording:MaxDays", "29", "shorter than RetentionDays" },
        { "Gateway:Recording:Enabled", "yes", "not true or false" },
        { "Gateway:Recording:Path", " ", "not a usable directory path" },
        { Camera + ":Recording:Enabled", "1", "not true or false" },
        { School + ":Recording:Enabled", "off", "not true or false" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public void Rejects_a_bad_recording_value_naming_its_key_and_the_reason(string key, string value, string reason)
    {
        var result = LoadWith((key, value));

        Assert.False(result.Success);
        var error = Assert.Single(result.Errors);
        Assert.Equal(key, error.Key);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reports_every_recording_mistake_at_once()
    {
        var result = LoadWith(
            ("Gateway:Recording:SegmentSeconds", "1"),
            ("Gateway:Recording:RetentionDays", "-3"),
            (Camera + ":Recording:Enabled", "maybe"));

        Assert.Equal(
            ["Gateway:Recording:RetentionDays", "Gateway:Recording:SegmentSeconds", Camera + ":Recording:Enabled"],
            result.Errors.Select(e => e.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Warns_about_an_unknown_key_under_a_cameras_Recording()
    {
        var result = LoadWith((Camera + ":Recording:SegmentSeconds", "10"));

        Assert.True(result.Success);
        Assert.Contains(result.Warnings, w => w.Key == Camera + ":Recording:SegmentSeconds");
    }

    [Fact]
    public void Turning_recording_off_for_a_camera_does_not_restart_its_connection()
    {
        var before = LoadWith().Config!;
        var after = LoadWith((Camera + ":Recording:Enabled", "false")).Config!;

        var diff = ConfigDiff.Compute(before, after);

        Assert.Empty(diff.Changed);
        Assert.Equal(2, diff.Unchanged);
    }
}
