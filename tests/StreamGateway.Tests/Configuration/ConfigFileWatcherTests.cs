using System.Collections.Concurrent;
using StreamGateway.Configuration;

namespace StreamGateway.Tests.Configuration;

public class ConfigFileWatcherTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan ShortDebounce = TimeSpan.FromMilliseconds(50);

    private static readonly string WithGateCamera = TempConfigFile.Example.Replace(
        "\"yard\":",
        "\"gate\": { \"Source\": \"rtsp://10.20.0.13/stream1\" },\n          \"yard\":",
        StringComparison.Ordinal);

    /// <summary>Records every callback and completes a waiter per kind.</summary>
    private sealed class Recorder
    {
        public ConcurrentQueue<GatewayConfig> Valid { get; } = new();

        public ConcurrentQueue<IReadOnlyList<ConfigDiagnostic>> Invalid { get; } = new();

        public TaskCompletionSource<GatewayConfig> NextValid { get; set; } = NewSource<GatewayConfig>();

        public TaskCompletionSource<IReadOnlyList<ConfigDiagnostic>> NextInvalid { get; set; } = NewSource<IReadOnlyList<ConfigDiagnostic>>();

        public void OnValid(GatewayConfig config)
        {
            Valid.Enqueue(config);
            NextValid.TrySetResult(config);
        }

        public void OnInvalid(IReadOnlyList<ConfigDiagnostic> errors)
        {
            Invalid.Enqueue(errors);
            NextInvalid.TrySetResult(errors);
        }

        public static TaskCompletionSource<T> NewSource<T>() => new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private static ConfigFileWatcher Watch(TempConfigFile file, Recorder recorder, TimeSpan debounce, Func<ConfigLoadResult>? reload = null, TimeProvider? time = null) =>
        new(file.FilePath, reload ?? (() => file.Load()), recorder.OnValid, recorder.OnInvalid, debounce, timeProvider: time);

    [Theory]
    [InlineData("rename over")]
    [InlineData("write in place")]
    public async Task A_good_edit_is_handed_over_once_the_writes_settle(string how)
    {
        using var file = new TempConfigFile(TempConfigFile.Example);
        var recorder = new Recorder();
        using var watcher = Watch(file, recorder, ShortDebounce);
        var before = watcher.LastGood;

        if (how == "rename over")
        {
            file.ReplaceAtomically(WithGateCamera);
        }
        else
        {
            File.WriteAllText(file.FilePath, WithGateCamera);
        }

        var applied = await recorder.NextValid.Task.WaitAsync(Patience);
        Assert.NotNull(before);
        Assert.Equal(["school-12/entrance", "school-12/gate", "school-12/yard"], applied.Schools[0].Cameras.Select(c => c.Path));
        Assert.Equal(applied, watcher.LastGood);
        Assert.Equal(["school-12/gate"], ConfigDiff.Compute(before, applied).Added.Select(c => c.Path));
    }

    [Fact]
    public async Task A_bad_edit_is_reported_and_the_last_good_config_stays()
    {
        using var file = new TempConfigFile(TempConfigFile.Example);
        var recorder = new Recorder();
        using var watcher = Watch(file, recorder, ShortDebounce);
        var good = watcher.LastGood;

        file.ReplaceAtomically(TempConfigFile.Example.Replace("\"tcp\"", "\"telepathy\"", StringComparison.Ordinal));
        var errors = await recorder.NextInvalid.Task.WaitAsync(Patience);

        Assert.Contains(errors, e => e.Key == "Gateway:Schools:school-12:Cameras:entrance:Transport");
        Assert.Same(good, watcher.LastGood);
        Assert.Empty(recorder.Valid);

        // The next good edit is applied as usual.
        file.ReplaceAtomically(WithGateCamera);
        var applied = await recorder.NextValid.Task.WaitAsync(Patience);
        Assert.Equal(3, applied.Schools[0].Cameras.Count);
        Assert.Single(recorder.Valid);
    }

    [Fact]
    public async Task An_edit_that_changes_nothing_is_not_handed_over()
    {
        using var file = new TempConfigFile(TempConfigFile.Example);
        var recorder = new Recorder();
        var reloaded = Recorder.NewSource<bool>();
        using var watcher = Watch(file, recorder, ShortDebounce, reload: () =>
        {
            var result = file.Load();
            reloaded.TrySetResult(true);
            return result;
        });

        // Only whitespace and a comment change: an equal config.
        reloaded = Recorder.NewSource<bool>();
        file.ReplaceAtomically("// reformatted\n" + TempConfigFile.Example.Replace("  ", "    ", StringComparison.Ordinal));
        await reloaded.Task.WaitAsync(Patience);

        // Reloads run one at a time in order, so once this edit arrives the one above was judged.
        file.ReplaceAtomically(WithGateCamera);
        var applied = await recorder.NextValid.Task.WaitAsync(Patience);

        Assert.Equal(applied, Assert.Single(recorder.Valid));
        Assert.Empty(recorder.Invalid);
    }

    [Fact]
    public void A_burst_of_change_events_reloads_once_after_the_debounce()
    {
        using var file = new TempConfigFile(TempConfigFile.Example);
        var time = new ManualTimeProvider();
        var reloads = 0;
        var recorder = new Recorder();
        using var watcher = Watch(file, recorder, TimeSpan.FromMilliseconds(300), () =>
        {
            Interlocked.Increment(ref reloads);
            return file.Load();
        }, time);
        var baseline = reloads;

        for (var i = 0; i < 5; i++)
        {
            watcher.OnFileChanged();
            time.Advance(TimeSpan.FromMilliseconds(250));
        }

        Assert.Equal(baseline, reloads);
        time.Advance(TimeSpan.FromMilliseconds(50));
        Assert.Equal(baseline + 1, reloads);
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(baseline + 1, reloads);
    }

    [Fact]
    public void A_reload_that_throws_is_reported_as_an_invalid_change()
    {
        using var file = new TempConfigFile(TempConfigFile.Example);
        var time = new ManualTimeProvider();
        var recorder = new Recorder();
        var calls = 0;
        using var watcher = Watch(file, recorder, TimeSpan.FromMilliseconds(300), () =>
            Interlocked.Increment(ref calls) == 1 ? file.Load() : throw new IOException("disk on fire"), time);

        watcher.OnFileChanged();
        time.Advance(TimeSpan.FromSeconds(1));

        var errors = Assert.Single(recorder.Invalid);
        Assert.Contains("disk on fire", Assert.Single(errors).Message, StringComparison.Ordinal);
        Assert.NotNull(watcher.LastGood);
    }

    [Fact]
    public void No_reload_happens_after_dispose()
    {
        using var file = new TempConfigFile(TempConfigFile.Example);
        var time = new ManualTimeProvider();
        var reloads = 0;
        var watcher = Watch(file, new Recorder(), TimeSpan.FromMilliseconds(300), () =>
        {
            Interlocked.Increment(ref reloads);
            return file.Load();
        }, time);
        watcher.OnFileChanged();

        watcher.Dispose();
        watcher.OnFileChanged();
        time.Advance(TimeSpan.FromSeconds(1));
        watcher.ReloadNow();

        Assert.Equal(1, reloads); // the baseline load only
    }
}
