using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace StreamGateway.Archive;

/// <summary>The report as terminal table, CSV (one row per camera), JSON and a printable HTML page.</summary>
internal static class ComplianceFormats
{
    public static readonly string[] Names = ["table", "csv", "json", "html"];

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Write(ComplianceReport report, string format) => format switch
    {
        "table" => Table(report),
        "csv" => Csv(report),
        "json" => Json(report),
        "html" => Html(report),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "use table, csv, json or html"),
    };

    public static string Json(ComplianceReport report) => JsonSerializer.Serialize(report, ArchiveJsonContext.Default.ComplianceReport);

    public static string Table(ComplianceReport report)
    {
        var sb = new StringBuilder();
        sb.Append(Inv, $"Compliance {report.WindowFrom:yyyy-MM-dd HH:mm} .. {report.WindowTo:yyyy-MM-dd HH:mm} UTC ({report.WindowDays} days), required {report.RequiredDays} days, compliant = depth >= required and coverage >= {report.CoverageThresholdPercent:0.#}%\n");
        sb.Append(Inv, $"Archive {report.ArchivePath} on {report.Volume.Name}: {Gb(report.Volume.ArchiveBytes)} used, {Gb(report.Volume.AvailableBytes)} free, {Gb((long)report.Volume.BytesPerDay)}/day, forecast {Days(report.Volume.ForecastDays)} days\n");
        if (report.FloorAtRisk)
        {
            sb.Append(Inv, $"WARNING: the volume cannot hold the {report.RequiredDays}-day floor at the current rate ({Days(report.Volume.ForecastDays)} days fit)\n");
        }

        sb.Append('\n');
        sb.Append(Inv, $"{"SCHOOL",-16} {"CAMERA",-14} {"CLASS",-10} {"DEPTH d",8} {"COVER %",8} {"GAPS",5} {"FORECAST d",10}  OLDEST\n");
        foreach (var school in report.Schools)
        {
            foreach (var c in school.Cameras)
            {
                sb.Append(Inv, $"{Cut(school.School, 16),-16} {Cut(c.Camera, 14),-14} {c.Class,-10} {c.DepthDays,8:0.0} {c.CoveragePercent,8:0.00} {c.Gaps.Count,5} {Days(c.ForecastDays),10}  {(c.OldestSegment is { } o ? o.ToString("yyyy-MM-dd HH:mm:ss", Inv) : "-")}\n");
            }
        }

        var gaps = report.Schools.SelectMany(s => s.Cameras).Where(c => c.Gaps.Count > 0).ToList();
        if (gaps.Count > 0)
        {
            sb.Append("\nGaps (UTC):\n");
            foreach (var c in gaps)
            {
                foreach (var g in c.Gaps)
                {
                    sb.Append(Inv, $"  {c.School}/{c.Camera}  {g.From:yyyy-MM-dd HH:mm:ss} .. {g.To:yyyy-MM-dd HH:mm:ss}  {Length(g.Seconds),12}  {g.Cause} ({g.CauseSource})\n");
                }
            }
        }

        sb.Append("\nSchools by district:\n");
        foreach (var d in report.Districts.Append(report.Region))
        {
            sb.Append(Inv, $"  {Cut(d.Name, 24),-24} {d.Schools,4} schools: {d.Compliant,4} compliant, {d.Short,4} short, {d.None,4} none\n");
        }

        if (report.IgnoredFiles > 0 || report.UnreadableSegments > 0)
        {
            sb.Append(Inv, $"\n{report.IgnoredFiles} files outside the archive layout ignored, {report.UnreadableSegments} unreadable segments\n");
        }

        return sb.ToString();
    }

    public static string Csv(ComplianceReport report)
    {
        var sb = new StringBuilder("district,school,camera,class,required_days,depth_days,oldest_segment,coverage_percent,gap_count,gap_seconds,gaps,forecast_days,bytes_per_second\n");
        foreach (var school in report.Schools)
        {
            foreach (var c in school.Cameras)
            {
                var gaps = string.Join("; ", c.Gaps.Select(g => string.Create(Inv, $"{g.From:O}/{g.To:O} {g.Cause}")));
                sb.Append(string.Join(',', [
                    Field(school.District), Field(c.School), Field(c.Camera), c.Class,
                    c.RequiredDays.ToString(Inv), c.DepthDays.ToString("0.###", Inv),
                    c.OldestSegment?.ToString("O", Inv) ?? "", c.CoveragePercent.ToString("0.###", Inv),
                    c.Gaps.Count.ToString(Inv), c.Gaps.Sum(g => g.Seconds).ToString("0.#", Inv), Field(gaps),
                    c.ForecastDays?.ToString("0.#", Inv) ?? "", c.BytesPerSecond.ToString("0.#", Inv)]));
                sb.Append('\n');
            }
        }

        return sb.ToString();
    }

    public static string Html(ComplianceReport report)
    {
        static string E(string? s) => WebUtility.HtmlEncode(s ?? "");
        var sb = new StringBuilder();
        sb.Append("""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Camera archive compliance</title>
            <style>
            body{font-family:Arial,Helvetica,sans-serif;margin:2em;color:#111}
            table{border-collapse:collapse;width:100%;margin-bottom:1.5em}
            th,td{border:1px solid #999;padding:4px 6px;text-align:left;vertical-align:top;font-size:13px}
            th{background:#eee}
            .bar{width:160px;height:14px;border:1px solid #555;background:#fff;display:inline-block;vertical-align:middle}
            .fill{height:100%;-webkit-print-color-adjust:exact;print-color-adjust:exact}
            .compliant{color:#0a5d00;font-weight:bold}.short{color:#9a5b00;font-weight:bold}.none{color:#b00000;font-weight:bold}
            .warn{border:2px solid #b00000;padding:8px;color:#b00000;font-weight:bold}
            @media print{body{margin:0}tr{page-break-inside:avoid}}
            </style></head><body>

            """);
        sb.Append(Inv, $"<h1>Camera archive compliance</h1>\n<p>Period checked: <b>{report.WindowFrom:d MMMM yyyy HH:mm}</b> to <b>{report.WindowTo:d MMMM yyyy HH:mm}</b> UTC ({report.WindowDays} days). Footage must be kept for at least <b>{report.RequiredDays} days</b>.</p>\n");
        sb.Append(Inv, $"<p>A camera is <span class=\"compliant\">compliant</span> when its oldest footage is at least {report.RequiredDays} days old and video exists for at least {report.CoverageThresholdPercent:0.#}% of the period; <span class=\"short\">short</span> when it has some footage but not enough; <span class=\"none\">none</span> when it has no footage at all.</p>\n");
        if (report.FloorAtRisk)
        {
            sb.Append(Inv, $"<p class=\"warn\">Warning: the storage can hold only {Days(report.Volume.ForecastDays)} days at the current recording rate, less than the required {report.RequiredDays} days. More storage is needed.</p>\n");
        }

        sb.Append("<h2>Summary</h2>\n<table><tr><th>District</th><th>Schools</th><th>Compliant</th><th>Short</th><th>None</th></tr>\n");
        foreach (var d in report.Districts.Append(report.Region))
        {
            sb.Append(Inv, $"<tr><td>{E(d.Name == "region" ? "Whole region" : d.Name)}</td><td>{d.Schools}</td><td>{d.Compliant}</td><td>{d.Short}</td><td>{d.None}</td></tr>\n");
        }

        sb.Append("</table>\n<h2>Cameras</h2>\n<table><tr><th>District</th><th>School</th><th>Camera</th><th>Result</th><th>Oldest footage</th><th>Days kept</th><th>Video over the period</th><th>Missing periods (UTC)</th><th>Storage lasts (days)</th></tr>\n");
        foreach (var school in report.Schools)
        {
            foreach (var c in school.Cameras)
            {
                var color = c.Class switch { ComplianceClass.Compliant => "#2e8b2e", ComplianceClass.Short => "#e0a000", _ => "#c00000" };
                var width = Math.Clamp(c.CoveragePercent, 0, 100).ToString("0.#", Inv);
                var gaps = c.Gaps.Count == 0 ? "none" : string.Join("<br>", c.Gaps.Take(20).Select(g => E(string.Create(Inv, $"{g.From:yyyy-MM-dd HH:mm} to {g.To:yyyy-MM-dd HH:mm} ({Length(g.Seconds)}, {g.Cause.Replace('-', ' ')})"))))
                    + (c.Gaps.Count > 20 ? E($"<br>... and {c.Gaps.Count - 20} more") : "");
                sb.Append(Inv, $"<tr><td>{E(school.District)}</td><td>{E(school.Name ?? school.School)}</td><td>{E(c.Camera)}</td><td class=\"{c.Class}\">{c.Class}</td>");
                sb.Append(Inv, $"<td>{(c.OldestSegment is { } o ? o.ToString("yyyy-MM-dd HH:mm", Inv) : "no footage")}</td><td>{c.DepthDays:0.0}</td>");
                sb.Append(Inv, $"<td><span class=\"bar\"><span class=\"fill\" style=\"display:block;width:{width}%;background:{color}\"></span></span> {c.CoveragePercent:0.0}%</td><td>{gaps}</td><td>{Days(c.ForecastDays)}</td></tr>\n");
            }
        }

        sb.Append(Inv, $"</table>\n<p>Generated {report.GeneratedAt:yyyy-MM-dd HH:mm:ss} UTC by StreamGateway from the archive at {E(report.ArchivePath)}.</p>\n</body></html>\n");
        return sb.ToString();
    }

    private static string Field(string value) =>
        value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;

    private static string Cut(string value, int width) => value.Length <= width ? value : value[..(width - 1)] + "~";

    private static string Days(double? days) => days is { } d ? d.ToString("0.0", Inv) : "-";

    private static string Gb(long bytes) => (bytes / 1e9).ToString("0.00", Inv) + " GB";

    private static string Length(double seconds)
    {
        var t = TimeSpan.FromSeconds(seconds);
        return t.TotalDays >= 1 ? string.Create(Inv, $"{(int)t.TotalDays}d {t.Hours}h {t.Minutes}m") : t.TotalHours >= 1 ? string.Create(Inv, $"{t.Hours}h {t.Minutes}m {t.Seconds}s") : string.Create(Inv, $"{t.Minutes}m {t.Seconds}s");
    }
}

/// <summary>
/// JSON of the archive's documents (compliance report, export sidecar), generated at compile time: web names
/// (camelCase), indented, nulls written. The CLI's <c>--format json</c>, <c>/api/v1/compliance</c> and the
/// sidecar share it, so they give the same document; no runtime code generation (NativeAOT-safe).
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(ComplianceReport))]
[JsonSerializable(typeof(ExportSidecar))]
internal sealed partial class ArchiveJsonContext : JsonSerializerContext;
