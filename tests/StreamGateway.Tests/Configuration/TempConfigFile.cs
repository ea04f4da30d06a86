using StreamGateway.Configuration;

namespace StreamGateway.Tests.Configuration;

/// <summary>A config file in its own temp directory, deleted with the directory on dispose.</summary>
internal sealed class TempConfigFile : IDisposable
{
    public const string Example = """
        {
          "Gateway": {
            "Rtsp": { "Port": 8554 },
            "Http": { "Port": 8080 },
            "Schools": {
              "school-12": {
                "Name": "School No. 12, Kostanay",
                "District": "kostanay",
                "Cameras": {
                  "entrance": { "Source": "rtsp://admin:secret@10.20.0.11:554/Streaming/Channels/101", "Transport": "tcp" },
                  "yard":     { "Source": "rtsp://10.20.0.12/stream1", "Transport": "auto", "Username": "admin", "Password": "from-env" }
                }
              }
            }
          }
        }
        """;

    private readonly string _directory;

    public TempConfigFile(string json, string fileName = "gateway.json")
    {
        _directory = Path.Combine(Path.GetTempPath(), "sg-config-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        FilePath = Path.Combine(_directory, fileName);
        File.WriteAllText(FilePath, json);
    }

    public string FilePath { get; }

    /// <summary>Loads with only the given environment (never the test process's own).</summary>
    public ConfigLoadResult Load(IDictionary<string, string?>? environment = null) =>
        GatewayConfigLoader.Load(FilePath, environment ?? new Dictionary<string, string?>());

    /// <summary>Writes a new version the way editors do: a temp file renamed over the config.</summary>
    public void ReplaceAtomically(string json)
    {
        var temp = Path.Combine(_directory, ".gateway.json.tmp");
        File.WriteAllText(temp, json);
        File.Move(temp, FilePath, overwrite: true);
    }

    public static ConfigLoadResult LoadText(string json, IDictionary<string, string?>? environment = null)
    {
        using var file = new TempConfigFile(json);
        return file.Load(environment);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A watcher may still hold the directory for a moment; the OS temp cleaner gets it.
        }
    }
}
