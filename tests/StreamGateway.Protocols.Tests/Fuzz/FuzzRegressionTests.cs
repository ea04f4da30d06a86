using StreamGateway.Protocols.Tests.Support;

namespace StreamGateway.Protocols.Tests.Fuzz;

/// <summary>
/// Replays every committed fuzz finding (tests/testdata/fuzz/&lt;target&gt;/) and every seed derived from the camera
/// captures through the same targets the AFL++ harness runs. A target only returns normally when each parser gave
/// one of its documented outcomes, so any exception here is a regression.
/// </summary>
public sealed class FuzzRegressionTests
{
    private static string FuzzDirectory => Path.Combine(AppContext.BaseDirectory, "testdata", "fuzz");

    public static TheoryData<string, string> CommittedInputs()
    {
        var data = new TheoryData<string, string>();
        foreach (var target in FuzzTargets.All.Keys)
        {
            var directory = Path.Combine(FuzzDirectory, target);
            if (!Directory.Exists(directory))
            {
                continue;
            }

            foreach (var file in Directory.GetFiles(directory).Order(StringComparer.Ordinal))
            {
                data.Add(target, Path.GetFileName(file));
            }
        }

        return data;
    }

    public static TheoryData<string, string> CameraSeeds()
    {
        var data = new TheoryData<string, string>();
        foreach (var seed in FuzzSeeds.FromCameraData(CameraTestData.Directory))
        {
            data.Add(seed.Target, seed.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(CommittedInputs))]
    public void Committed_fuzz_input_gives_only_documented_outcomes(string target, string file)
    {
        var input = File.ReadAllBytes(Path.Combine(FuzzDirectory, target, file));

        var thrown = Record.Exception(() => FuzzTargets.Run(target, input));

        Assert.Null(thrown);
    }

    [Theory]
    [MemberData(nameof(CameraSeeds))]
    public void Camera_seed_gives_only_documented_outcomes(string target, string name)
    {
        var seed = FuzzSeeds.FromCameraData(CameraTestData.Directory).Single(s => s.Target == target && s.Name == name);

        var thrown = Record.Exception(() => FuzzTargets.Run(target, seed.Data));

        Assert.Null(thrown);
    }

    [Fact]
    public void Every_target_has_camera_seeds()
    {
        var targets = FuzzSeeds.FromCameraData(CameraTestData.Directory).Select(s => s.Target).ToHashSet();

        Assert.Equal(FuzzTargets.All.Keys.Order(StringComparer.Ordinal), targets.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Unknown_target_is_a_usage_error_not_a_pass()
    {
        // The harness must not swallow what it is meant to find: an unknown target is a usage error, not a pass.
        Assert.Throws<ArgumentException>(() => FuzzTargets.Run("no-such-target", [1, 2, 3]));
    }
}
