using System.Text.Json;
using StreamGateway.Archive;
using static StreamGateway.Tests.Archive.ArchiveData;

namespace StreamGateway.Tests.Archive;

/// <summary>A 40-day region with known holes: each camera's class, its gaps, and the summaries.</summary>
public sealed class ComplianceReportTests
{
    private static readonly TimeSpan Segment = TimeSpan.FromMinutes(10);
    private static readonly DateTimeOffset Start = Now - TimeSpan.FromDays(40);

    private static readonly ReportSchool[] Schools =
    [
        new("school-1", "School No. 1", "North", ["entrance", "yard"]),
        new("school-2", "School No. 2", "North", ["gate"]),
        new("school-3", "School No. 3", "South", ["hall"]),
        new("school-4", null, "South", ["door"]),
    ];

    private static ComplianceReport Build(long free = 1_000_000_000_000, int requiredDays = 30) => ComplianceReportBuilder.Build(
        Index(
            // 40 days with one 2-hour hole: compliant, the hole listed.
            Continuous("school-1", "entrance", Start, Now, Segment, holes: (Now.AddDays(-5), Now.AddDays(-5).AddHours(2))),
            // 40 days, but a 3-day hole in the window: coverage 90 %, short.
            Continuous("school-1", "yard", Start, Now, Segment, holes: (Now.AddDays(-20), Now.AddDays(-17))),
            // Only the last 12 days: short (too shallow).
            Continuous("school-2", "gate", Now.AddDays(-12), Now, Segment),
            // Full: compliant.
            Continuous("school-3", "hall", Start, Now, Segment)),
        // school-4/door: configured, nothing recorded: none.
        Schools,
        new VolumeMeasure("/data", 2_000_000_000_000, free),
        Now,
        requiredDays,
        windowDays: 30);

    [Theory]
    [InlineData("school-1", "entrance", "compliant", 1)]
    [InlineData("school-1", "yard", "short", 1)]
    [InlineData("school-2", "gate", "short", 1)]
    [InlineData("school-3", "hall", "compliant", 0)]
    [InlineData("school-4", "door", "none", 1)]
    public void Each_camera_is_classed_exactly_and_its_holes_listed(string school, string camera, string expectedClass, int gaps)
    {
        var report = Build();

        var c = report.Schools.Single(s => s.School == school).Cameras.Single(x => x.Camera == camera);
        Assert.Equal(expectedClass, c.Class);
        Assert.Equal(gaps, c.Gaps.Count);
        Assert.Equal(30, c.RequiredDays);
    }

    [Fact]
    public void The_gap_figures_are_the_holes_that_were_made()
    {
        var report = Build();
        var cameras = report.Schools.SelectMany(s => s.Cameras).ToDictionary(c => $"{c.School}/{c.Camera}");

        var entrance = Assert.Single(cameras["school-1/entrance"].Gaps);
        Assert.Equal(Now.AddDays(-5), entrance.From);
        Assert.Equal(7200, entrance.Seconds);
        Assert.Equal("camera-offline", entrance.Cause); // the yard kept recording
        Assert.Equal(90.0, cameras["school-1/yard"].CoveragePercent, 3);
        Assert.Equal(3 * 86_400, cameras["school-1/yard"].Gaps[0].Seconds);
        Assert.Equal(40.0, cameras["school-1/entrance"].DepthDays, 3);
        Assert.Equal(12.0, cameras["school-2/gate"].DepthDays, 3);
        Assert.Equal(40.0, cameras["school-2/gate"].CoveragePercent, 3);
        Assert.Equal(18 * 86_400, cameras["school-2/gate"].Gaps[0].Seconds);
        Assert.Equal(0, cameras["school-4/door"].CoveragePercent);
        Assert.Null(cameras["school-4/door"].OldestSegment);
    }

    [Fact]
    public void Districts_and_the_region_count_schools_by_class()
    {
        var report = Build();

        Assert.Equal(
            [new ClassSummary("North", 2, 0, 2, 0), new ClassSummary("South", 2, 1, 0, 1)],
            report.Districts);
        Assert.Equal(new ClassSummary("region", 4, 1, 2, 1), report.Region);
    }

    [Theory]
    // With no free space the volume holds what is on it: about 33 days at the current rates.
    [InlineData(1_000_000_000_000L, 30, false)]
    [InlineData(0L, 30, false)]
    [InlineData(0L, 35, true)]
    public void A_volume_that_cannot_hold_the_required_days_is_flagged_in_the_report(long free, int requiredDays, bool flagged)
    {
        var report = Build(free, requiredDays);

        Assert.Equal(flagged, report.FloorAtRisk);
        Assert.Equal(!flagged, report.Volume.FloorFits);
        Assert.NotNull(report.Volume.ForecastDays);
        Assert.All(report.Schools.SelectMany(s => s.Cameras), c => Assert.Equal(report.Volume.ForecastDays, c.ForecastDays));
        var table = ComplianceFormats.Table(report);
        Assert.Equal(flagged, table.Contains("WARNING", StringComparison.Ordinal));
    }

    [Fact]
    public void The_csv_has_one_row_per_camera_under_a_header()
    {
        var lines = ComplianceFormats.Csv(Build()).TrimEnd('\n').Split('\n');

        Assert.StartsWith("district,school,camera,class,", lines[0], StringComparison.Ordinal);
        Assert.Equal(6, lines.Length);
        Assert.Contains(lines, l => l.StartsWith("South,school-4,door,none,30,0,,0,1,", StringComparison.Ordinal));
    }

    [Fact]
    public void The_json_carries_every_figure_the_audit_needs()
    {
        using var json = JsonDocument.Parse(ComplianceFormats.Json(Build()));
        var root = json.RootElement;

        Assert.Equal(4, root.GetProperty("region").GetProperty("schools").GetInt32());
        var camera = root.GetProperty("schools")[0].GetProperty("cameras")[0];
        foreach (var field in new[] { "requiredDays", "oldestSegment", "depthDays", "coveragePercent", "gaps", "forecastDays", "class" })
        {
            Assert.True(camera.TryGetProperty(field, out _), field);
        }

        var gap = camera.GetProperty("gaps")[0];
        foreach (var field in new[] { "from", "to", "seconds", "cause" })
        {
            Assert.True(gap.TryGetProperty(field, out _), field);
        }
    }

    [Fact]
    public void The_html_is_self_contained_with_a_coverage_bar_per_camera()
    {
        var html = ComplianceFormats.Html(Build());

        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.Equal(5, html.Split("class=\"bar\"").Length - 1);
        Assert.DoesNotContain("src=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("href=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("@import", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("School No. 1", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Names_from_the_config_are_escaped_in_html_and_quoted_in_csv()
    {
        var report = ComplianceReportBuilder.Build(
            Index(),
            [new ReportSchool("s", "<script>alert(1)</script>", "East, \"old\" town", ["c"])],
            new VolumeMeasure("/v", 1, 1),
            Now,
            30,
            30);

        Assert.DoesNotContain("<script>", ComplianceFormats.Html(report), StringComparison.Ordinal);
        Assert.Contains("\"East, \"\"old\"\" town\",s,c,none", ComplianceFormats.Csv(report), StringComparison.Ordinal);
    }
}
