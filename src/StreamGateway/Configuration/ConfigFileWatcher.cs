namespace StreamGateway.Configuration;

/// <summary>
/// Watches a config file and reloads it after edits settle. A valid edit that changes the config is
/// handed to <c>onValidChange</c>; an invalid one to <c>onInvalidChange</c> with every error, and
/// the last good config stays. Reloads never overlap, and no callback runs after
/// <see cref="Dispose"/> returns. Callbacks run on a timer thread and must not throw.
/// </summary>
internal sealed class ConfigFileWatcher : IDisposable
{
    public static readonly TimeSpan DefaultDebounce = TimeSpan.FromMilliseconds(300);

    private readonly string _path;
    private readonly string _fileName;
    private readonly Func<ConfigLoadResult> _reload;
    private readonly Action<GatewayConfig> _onValidChange;
    private readonly Action<IReadOnlyList<ConfigDiagnostic>> _onInvalidChange;
    private readonly TimeSpan _debounce;
    private readonly ITimer _timer;
    private readonly FileSystemWatcher _watcher;
    private readonly Lock _gate = new();
    private GatewayConfig? _lastGood;
    private bool _disposed;

    /// <param name="path">The config file.</param>
    /// <param name="reload">Loads and validates the file (normally <see cref="GatewayConfigLoader.Load(string, IDictionary{string, string?}?)"/>).</param>
    /// <param name="onValidChange">Called with a valid config that differs from the last good one.</param>
    /// <param name="onInvalidChange">Called with every error of an invalid edit.</param>
    /// <param name="debounce">Quiet time after the last file event before reloading.</param>
    /// <param name="current">The config in force; when null the file is loaded now to get it.</param>
    /// <param name="timeProvider">Clock for the debounce; the system clock when null.</param>
    public ConfigFileWatcher(
        string path,
        Func<ConfigLoadResult> reload,
        Action<GatewayConfig> onValidChange,
        Action<IReadOnlyList<ConfigDiagnostic>> onInvalidChange,
        TimeSpan debounce,
        GatewayConfig? current = null,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(reload);
        ArgumentNullException.ThrowIfNull(onValidChange);
        ArgumentNullException.ThrowIfNull(onInvalidChange);
        ArgumentOutOfRangeException.ThrowIfLessThan(debounce, TimeSpan.Zero);

        _path = Path.GetFullPath(path);
        _fileName = Path.GetFileName(_path);
        _reload = reload;
        _onValidChange = onValidChange;
        _onInvalidChange = onInvalidChange;
        _debounce = debounce;
        _lastGood = current ?? SafeReload().Config;
        _timer = (timeProvider ?? TimeProvider.System).CreateTimer(_ => ReloadNow(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

        // Watch the directory, not the file: editors and deploy tools replace the file by writing a
        // temp file and renaming it over, which a watch on the old file would miss.
        _watcher = new FileSystemWatcher(Path.GetDirectoryName(_path)!)
        {
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
            IncludeSubdirectories = false,
        };
        _watcher.Changed += OnFileSystemEvent;
        _watcher.Created += OnFileSystemEvent;
        _watcher.Deleted += OnFileSystemEvent;
        _watcher.Renamed += OnFileSystemEvent;
        _watcher.Error += (_, _) => OnFileChanged(); // events were lost: reload to be sure
        _watcher.EnableRaisingEvents = true;
    }

    /// <summary>The last valid config seen (the one in force), or null if none was valid yet.</summary>
    public GatewayConfig? LastGood
    {
        get
        {
            lock (_gate)
            {
                return _lastGood;
            }
        }
    }

    /// <summary>Restarts the debounce: the file is reloaded once no event came for the debounce time.</summary>
    internal void OnFileChanged()
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                _timer.Change(_debounce, Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>Reloads now; reloads are serialised by the lock so results apply in order.</summary>
    internal void ReloadNow()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            var result = SafeReload();
            if (!result.Success)
            {
                _onInvalidChange(result.Errors);
            }
            else if (!result.Config!.Equals(_lastGood))
            {
                _lastGood = result.Config;
                _onValidChange(result.Config);
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        _watcher.Dispose();
        _timer.Dispose();
    }

    private void OnFileSystemEvent(object sender, FileSystemEventArgs e)
    {
        // Names starting with ".." are Kubernetes ConfigMap swaps (the file is a symlink into "..data").
        if (IsOurs(e.Name) || (e is RenamedEventArgs renamed && IsOurs(renamed.OldName)))
        {
            OnFileChanged();
        }
    }

    private bool IsOurs(string? name) =>
        name is not null
        && (string.Equals(name, _fileName, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal)
            || name.StartsWith("..", StringComparison.Ordinal));

    private ConfigLoadResult SafeReload()
    {
        try
        {
            return _reload();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or FormatException)
        {
            return ConfigLoadResult.Failed(new ConfigDiagnostic(_path, string.Empty, $"reload failed: {GatewayConfigLoader.Quote(ex.Message)}"));
        }
    }
}
