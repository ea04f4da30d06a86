using System.Text;
using StreamGateway.Hosting;

namespace StreamGateway.Archive;

/// <summary>
/// The retention pass's figures in Prometheus text, appended to <c>/metrics</c> when a retention service
/// is wired in. Alert on <c>streamgateway_archive_floor_at_risk == 1</c>.
/// </summary>
internal static class ArchiveMetrics
{
    public static string Write(RetentionStatus status)
    {
        var text = new StringBuilder();
        var f = status.Forecast;
        Gauge(text, "streamgateway_archive_floor_at_risk", "1 when the volume cannot hold the retention floor at the current rates.", status.FloorAtRisk ? 1 : 0);
        Gauge(text, "streamgateway_archive_retention_floor_days", "RetentionDays: no segment younger is ever deleted.", f.RetentionDays);
        Gauge(text, "streamgateway_archive_forecast_days", "Days of footage the volume holds at the current rates (NaN before any rate is known).", f.DaysFit ?? double.NaN);
        Gauge(text, "streamgateway_archive_bytes", "Bytes of segments in the archive.", f.ArchiveBytes);
        Gauge(text, "streamgateway_archive_volume_available_bytes", "Free bytes on the archive's volume.", f.Volume.AvailableBytes);
        Gauge(text, "streamgateway_archive_write_bytes_per_day", "Bytes all cameras write per day at their measured rates.", f.BytesPerDay);
        Gauge(text, "streamgateway_archive_oldest_segment_age_seconds", "Age of the oldest segment (archive depth).", status.Oldest is { } o ? (status.At - o).TotalSeconds : double.NaN);
        Gauge(text, "streamgateway_archive_last_pass_deleted_segments", "Segments the last retention pass deleted (past MaxDays).", status.DeletedSegments);
        Gauge(text, "streamgateway_archive_cameras_to_pause", "Cameras the operator's pause rule names (0 unless configured and at risk).", status.CamerasToPause.Count);
        text.Append("# HELP streamgateway_archive_school_bytes_per_day Bytes a school's cameras write per day.\n# TYPE streamgateway_archive_school_bytes_per_day gauge\n");
        foreach (var school in f.Schools)
        {
            text.Append("streamgateway_archive_school_bytes_per_day{school=\"").Append(PrometheusExporter.EscapeLabelValue(school.School)).Append("\"} ")
                .Append(PrometheusExporter.FormatValue(school.BytesPerDay)).Append('\n');
        }

        return text.ToString();
    }

    private static void Gauge(StringBuilder text, string name, string help, double value) =>
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n')
            .Append("# TYPE ").Append(name).Append(" gauge\n")
            .Append(name).Append(' ').Append(PrometheusExporter.FormatValue(value)).Append('\n');
}
