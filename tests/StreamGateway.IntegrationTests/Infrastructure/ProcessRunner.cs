using System.Diagnostics;
using System.Text;

namespace StreamGateway.IntegrationTests.Infrastructure;

/// <summary>What a finished (or killed) external process left behind. Text is already redacted.</summary>
internal sealed record ProcessResult(int? ExitCode, IReadOnlyList<string> StandardOutput, IReadOnlyList<string> StandardError, bool TimedOut, TimeSpan Elapsed)
{
    public bool Succeeded => !TimedOut && ExitCode == 0;

    public string OutputText => string.Join('\n', StandardOutput);

    public string ErrorText => string.Join('\n', StandardError);

    /// <summary>The last lines of stderr, for assertion and exception messages.</summary>
    public string ErrorTail(int lines = 15) => string.Join('\n', StandardError.TakeLast(lines));
}

/// <summary>
/// One external process with redirected output: every stdout/stderr line is captured (redacted) and can be
/// observed as it arrives; every wait is bounded; disposal closes stdin, gives the process a moment to stop
/// cleanly, then kills its whole tree.
/// </summary>
internal sealed class ProcessRunner : IAsyncDisposable
{
    private static readonly TimeSpan GracefulStop = TimeSpan.FromSeconds(3);

    /// <summary>Lines kept per stream; older ones go first (summaries come last), so memory stays bounded.</summary>
    private const int MaxLinesKept = 20_000;

    private readonly Process _process;
    private readonly Redactor _redactor;
    private readonly Action<string>? _onStdoutLine;
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];
    private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<int?> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Stopwatch _stopwatch;
    private int _disposed;

    private ProcessRunner(Process process, Redactor redactor, Action<string>? onStdoutLine)
    {
        _process = process;
        _redactor = redactor;
        _onStdoutLine = onStdoutLine;
        _stopwatch = new Stopwatch();
    }

    /// <summary>The tool name, for messages (never the arguments: they may hold URLs with credentials).</summary>
    public string Name { get; private init; } = "";

    public int Id => _process.Id;

    public bool HasExited => _exited.Task.IsCompleted;

    /// <summary>Completes with the exit code when the process ends (whoever waits, and even after disposal).</summary>
    public Task<int?> Exited => _exited.Task;

    public TimeSpan Elapsed => _stopwatch.Elapsed;

    public IReadOnlyList<string> StandardOutput
    {
        get
        {
            lock (_stdout)
            {
                return [.. _stdout];
            }
        }
    }

    public IReadOnlyList<string> StandardError
    {
        get
        {
            lock (_stderr)
            {
                return [.. _stderr];
            }
        }
    }

    /// <summary>
    /// Starts <paramref name="fileName"/>. <paramref name="onStdoutLine"/> sees each redacted stdout line on
    /// a reader thread, in order. <paramref name="secrets"/> are scrubbed from everything captured.
    /// </summary>
    public static ProcessRunner Start(
        string fileName,
        IEnumerable<string> arguments,
        Action<string>? onStdoutLine = null,
        IEnumerable<string>? secrets = null,
        IReadOnlyDictionary<string, string>? environment = null,
        string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        if (workingDirectory is not null)
        {
            info.WorkingDirectory = workingDirectory;
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var runner = new ProcessRunner(process, new Redactor(secrets), onStdoutLine) { Name = Path.GetFileName(fileName) };
        process.OutputDataReceived += (_, e) => runner.OnLine(e.Data, runner._stdout, runner._stdoutClosed, isStdout: true);
        process.ErrorDataReceived += (_, e) => runner.OnLine(e.Data, runner._stderr, runner._stderrClosed, isStdout: false);
        process.Exited += (_, _) => runner.OnExited();
        runner._stopwatch.Start();
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            process.Dispose();
            throw new InvalidOperationException($"could not start '{fileName}': {ex.Message}. {Tools.InstallHint}", ex);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return runner;
    }

    /// <summary>Runs a process to completion, killing it after <paramref name="timeout"/>.</summary>
    public static async Task<ProcessResult> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        TimeSpan timeout,
        IEnumerable<string>? secrets = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        await using var runner = Start(fileName, arguments, secrets: secrets, environment: environment);
        runner.CloseInput();
        return await runner.WaitForExitAsync(timeout);
    }

    /// <summary>Closes stdin: tools that read it (ffmpeg's 'q', the fixtures' stop signal) see end of input.</summary>
    public void CloseInput()
    {
        try
        {
            _process.StandardInput.Close();
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
            // Already exited: nothing to tell it.
        }
    }

    /// <summary>
    /// Waits for exit and for all output to be read. On timeout the tree is killed and the result says
    /// TimedOut; this never waits longer than <paramref name="timeout"/> plus a few seconds.
    /// </summary>
    public async Task<ProcessResult> WaitForExitAsync(TimeSpan timeout)
    {
        var timedOut = false;
        using (var cts = new CancellationTokenSource(timeout))
        {
            try
            {
                await _process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                timedOut = true;
                Kill();
            }
        }

        await DrainAsync();
        _stopwatch.Stop();
        if (_process.HasExited)
        {
            OnExited(); // the Exited event may still be queued; whoever waited must see the exit now
        }

        int? exitCode = _process.HasExited && !timedOut ? _process.ExitCode : null;
        return new ProcessResult(exitCode, StandardOutput, StandardError, timedOut, _stopwatch.Elapsed);
    }

    /// <summary>Kills the process and everything it started; safe to call more than once.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Exited between the check and the kill.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        CloseInput();
        using (var cts = new CancellationTokenSource(GracefulStop))
        {
            try
            {
                await _process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                Kill();
            }
        }

        await DrainAsync();
        if (_process.HasExited)
        {
            OnExited();
        }

        _process.Dispose();
    }

    /// <summary>Output events can trail the exit; wait (bounded) so results hold every line.</summary>
    private async Task DrainAsync()
    {
        if (!_process.HasExited)
        {
            using var kill = new CancellationTokenSource(GracefulStop);
            try
            {
                await _process.WaitForExitAsync(kill.Token);
            }
            catch (OperationCanceledException)
            {
                // The kill did not take within the bound; report what we have.
                return;
            }
        }

        try
        {
            await Task.WhenAll(_stdoutClosed.Task, _stderrClosed.Task).WaitAsync(GracefulStop);
        }
        catch (TimeoutException)
        {
            // A grandchild kept the pipe open; the lines so far are all we report.
        }
    }

    private void OnExited()
    {
        int? code = null;
        try
        {
            code = _process.ExitCode;
        }
        catch (InvalidOperationException)
        {
            // Disposed already; the code is lost but the exit is not.
        }

        _exited.TrySetResult(code);
    }

    private void OnLine(string? line, List<string> lines, TaskCompletionSource closed, bool isStdout)
    {
        if (line is null)
        {
            closed.TrySetResult();
            return;
        }

        var clean = _redactor.Redact(line);
        lock (lines)
        {
            if (lines.Count >= MaxLinesKept)
            {
                lines.RemoveRange(0, MaxLinesKept / 4);
            }

            lines.Add(clean);
        }

        if (isStdout)
        {
            _onStdoutLine?.Invoke(clean);
        }
    }
}
