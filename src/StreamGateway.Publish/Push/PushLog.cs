using Microsoft.Extensions.Logging;

namespace StreamGateway.Publish.Push;

/// <summary>Log messages of the push client; event ids 500-519 are stable. URLs are always logged without user info.</summary>
internal static partial class PushLog
{
    [LoggerMessage(500, LogLevel.Information, "Push {Path} -> {Url}: started")]
    public static partial void Started(ILogger logger, string path, string url);

    [LoggerMessage(501, LogLevel.Information, "Push {Path} -> {Url}: waiting for the camera's tracks")]
    public static partial void WaitingForTracks(ILogger logger, string path, string url);

    [LoggerMessage(502, LogLevel.Information, "Push {Path} -> {Url}: recording ({Tracks}, auth {Auth})")]
    public static partial void Recording(ILogger logger, string path, string url, string tracks, string auth);

    [LoggerMessage(503, LogLevel.Warning, "Push {Path} -> {Url}: attempt {Attempt} failed: {Error}; next in {DelaySeconds:0.0} s")]
    public static partial void AttemptFailed(ILogger logger, string path, string url, int attempt, string error, double delaySeconds);

    [LoggerMessage(504, LogLevel.Information, "Push {Path} -> {Url}: session ended after {Seconds:0.0} s, {Bytes} bytes: {Reason}")]
    public static partial void SessionEnded(ILogger logger, string path, string url, double seconds, long bytes, string reason);

    [LoggerMessage(505, LogLevel.Debug, "Push {Path} -> {Url}: keep-alive {Method} answered {Status}")]
    public static partial void KeepAlive(ILogger logger, string path, string url, string method, string status);

    [LoggerMessage(506, LogLevel.Information, "Push {Path} -> {Url}: stopped")]
    public static partial void Stopped(ILogger logger, string path, string url);

    [LoggerMessage(507, LogLevel.Error, "Push {Path} -> {Url}: unexpected failure; the session retries")]
    public static partial void Crashed(ILogger logger, string path, string url, Exception exception);

    [LoggerMessage(508, LogLevel.Warning, "Push {Path} -> {Url}: the server refused the credentials of user {User}")]
    public static partial void AuthRefused(ILogger logger, string path, string url, string user);

    [LoggerMessage(509, LogLevel.Debug, "Push {Path} -> {Url}: the server sent {Method}; answered {Status}")]
    public static partial void ServerRequest(ILogger logger, string path, string url, string method, int status);
}
