using Microsoft.Extensions.Logging;

namespace StreamGateway.Hosting;

/// <summary>Host log messages; event ids 100-199 are stable for operators' alert rules.</summary>
internal static partial class HostLog
{
    [LoggerMessage(100, LogLevel.Information, "RTSP server listening on {EndPoint}")]
    public static partial void RtspListening(ILogger logger, string endPoint);

    [LoggerMessage(101, LogLevel.Information, "HTTP status on http://{EndPoint}/api/v1/status (Prometheus: /metrics)")]
    public static partial void HttpListening(ILogger logger, string endPoint);

    [LoggerMessage(102, LogLevel.Information, "Publishing {Path} at {Url}")]
    public static partial void Publishing(ILogger logger, string path, string url);

    [LoggerMessage(103, LogLevel.Information, "Configuration reloaded: {Added} added, {Removed} removed, {Changed} restarted, {Unchanged} untouched")]
    public static partial void ConfigApplied(ILogger logger, int added, int removed, int changed, int unchanged);

    [LoggerMessage(104, LogLevel.Error, "Configuration change rejected, the last good configuration stays in force:\n{Errors}")]
    public static partial void ConfigRejected(ILogger logger, string errors);

    [LoggerMessage(105, LogLevel.Warning, "Listener settings (ports, bind addresses, RTSP connection limits) changed: they take effect at the next restart")]
    public static partial void ListenerChangeNeedsRestart(ILogger logger);

    [LoggerMessage(113, LogLevel.Warning, "Relay settings (Gateway:Relay) changed: they take effect at the next restart")]
    public static partial void RelayChangeNeedsRestart(ILogger logger);

    [LoggerMessage(106, LogLevel.Information, "Demo: simulated camera {Name} at {Url}")]
    public static partial void DemoCamera(ILogger logger, string name, string url);

    [LoggerMessage(108, LogLevel.Error, "Applying the reloaded configuration failed")]
    public static partial void ReloadFailed(ILogger logger, Exception exception);

    [LoggerMessage(107, LogLevel.Warning, "{Message}")]
    public static partial void ConfigWarning(ILogger logger, string message);

    [LoggerMessage(109, LogLevel.Warning, "No Pull users are configured: viewers are served WITHOUT authentication, from loopback addresses (127.0.0.0/8, ::1) only; other addresses are refused. Add Pull users under Gateway:Destinations to serve operations centers")]
    public static partial void NoPullUsers(ILogger logger);

    [LoggerMessage(110, LogLevel.Warning, "Configuration change revoked access: {Count} viewing sessions closed")]
    public static partial void SessionsRevoked(ILogger logger, int count);

    [LoggerMessage(111, LogLevel.Information, "Audit trail under {Directory}")]
    public static partial void AuditEnabled(ILogger logger, string directory);
}
