namespace StreamGateway.IntegrationTests.Infrastructure;

/// <summary>
/// Where the external peers live. CI installs every one of them (.ci/run), so a missing tool is a broken
/// machine, not a reason to skip: <see cref="RequireInstalled"/> throws with the fix, and the test fails.
/// </summary>
internal static class Tools
{
    /// <summary>The Debian Python: the one with gi/GStreamer bindings (a pyenv python3 on PATH has none).</summary>
    public const string DebianPython = "/usr/bin/python3";

    public const string InstallHint = "Install the test peers with: sudo bash .ci/run (its APT_PACKAGES list), or apt-get install them by hand.";

    private static readonly Lazy<string> FixturesDirectory = new(FindFixturesDirectory);

    public static string Ffmpeg => Require("ffmpeg");

    public static string Ffprobe => Require("ffprobe");

    public static string Python => File.Exists(DebianPython)
        ? DebianPython
        : throw new InvalidOperationException($"{DebianPython} not found (python3-gi and python3-gst-1.0 need the Debian Python). {InstallHint}");

    /// <summary>Absolute path of a script in tests/fixtures (override the folder with SG_FIXTURES_DIR).</summary>
    public static string Fixture(string fileName)
    {
        var path = Path.Combine(FixturesDirectory.Value, fileName);
        return File.Exists(path) ? path : throw new FileNotFoundException($"test fixture '{fileName}' not found in {FixturesDirectory.Value}", path);
    }

    /// <summary>Throws one message naming every missing tool.</summary>
    public static void RequireInstalled(params string[] tools)
    {
        var missing = tools.Where(t => Find(t) is null).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException($"required test tool(s) not installed: {string.Join(", ", missing)}. {InstallHint}");
        }
    }

    /// <summary>The full path of <paramref name="tool"/> on PATH (or absolute), else a clear failure.</summary>
    public static string Require(string tool) =>
        Find(tool) ?? throw new InvalidOperationException($"required test tool '{tool}' is not installed (not on PATH). {InstallHint}");

    public static string? Find(string tool)
    {
        if (Path.IsPathRooted(tool))
        {
            return File.Exists(tool) ? tool : null;
        }

        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var directory in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Append("/usr/bin"))
        {
            var candidate = Path.Combine(directory, tool);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static string FindFixturesDirectory()
    {
        var overridden = Environment.GetEnvironmentVariable("SG_FIXTURES_DIR");
        if (!string.IsNullOrEmpty(overridden))
        {
            return overridden;
        }

        // Walk up from bin/<config>/<tfm> to the repository's tests/fixtures; bounded by the path depth.
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "tests", "fixtures");
            if (File.Exists(Path.Combine(candidate, "rtsp_camera.py")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException($"tests/fixtures not found above {AppContext.BaseDirectory}; set SG_FIXTURES_DIR");
    }
}
