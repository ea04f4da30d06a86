namespace StreamGateway.IntegrationTests.Infrastructure;

/// <summary>An external peer failed: the message names the tool, the (redacted) URL and its last stderr lines.</summary>
internal sealed class ToolFailedException : Exception
{
    public ToolFailedException(string tool, string url, ProcessResult result)
        : base(Format(tool, url, result))
    {
        Result = result;
    }

    public ProcessResult Result { get; }

    private static string Format(string tool, string url, ProcessResult result)
    {
        var outcome = result.TimedOut ? $"timed out after {result.Elapsed.TotalSeconds:0.#} s and was killed" : $"exited with code {result.ExitCode}";
        return $"{tool} on {Redactor.RedactUrl(url)} {outcome}; stderr:\n{result.ErrorTail()}";
    }
}
