using System.Text.RegularExpressions;
using StreamGateway.Hosting;

namespace StreamGateway.Tests.Hosting;

public partial class PrometheusExporterTests
{
    // One exposition-format 0.0.4 sample line: name, optional {label="value",...}, one space, value.
    [GeneratedRegex("""^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\\\|\\"|\\n)*",?)*\})? (NaN|[+-]Inf|-?[0-9.eE+-]+)$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex("^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$")]
    private static partial Regex CommentLine();

    [Fact]
    public void Exports_the_relay_packets_outstanding_for_leak_watching()
    {
        var text = PrometheusExporter.Write(SampleReport());

        Assert.Contains("# TYPE streamgateway_relay_packets_outstanding gauge", text, StringComparison.Ordinal);
        Assert.Contains("\nstreamgateway_relay_packets_outstanding 42\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Exports_the_process_memory_figures_read_from_the_runtime()
    {
        // Allocate something first so the allocation counter is surely above zero.
        var ballast = new byte[64 * 1024];
        GC.KeepAlive(ballast);
        var runtime = RuntimeReport.Capture(relayPacketsPooled: 17);
        var text = PrometheusExporter.Write(SampleReport() with { Runtime = runtime });

        Assert.True(runtime.ResidentBytes > 0 && runtime.GcCommittedBytes > 0 && runtime.AllocatedBytesTotal >= ballast.Length);
        Assert.Contains($"\nstreamgateway_process_resident_bytes {runtime.ResidentBytes}\n", text, StringComparison.Ordinal);
        Assert.Contains($"\nstreamgateway_gc_committed_bytes {runtime.GcCommittedBytes}\n", text, StringComparison.Ordinal);
        Assert.Contains("\nstreamgateway_gc_collections_total{generation=\"2\"} ", text, StringComparison.Ordinal);
        Assert.Contains("\nstreamgateway_relay_packets_pooled 17\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE streamgateway_gc_allocated_bytes_total counter", text, StringComparison.Ordinal);
    }

    internal static GatewayStatusReport SampleReport() => new(
        new DateTimeOffset(2025, 1, 1, 12, 0, 0, TimeSpan.Zero),
        [
            new SchoolReport("school-1", "North", false, null,
            [
                new CameraReport(
                    "gate", "school-1/gate", CameraStates.Streaming, null, "tcp",
                    [new TrackReport(0, "video", "H264", 90000, null), new TrackReport(1, "audio", "MPEG4-GENERIC", 48000, 2)],
                    BitrateBitsPerSecond: 2_000_000, FramesPerSecond: 25, LastKeyframeAgeSeconds: 0.5, Reconnects: 3, LastError: null,
                    Viewers: 2, ViewerDroppedPackets: 9, PacketsReceived: 1000, BytesReceived: 900_000, MalformedPackets: 1,
                    FramesReceived: 250, KeyframesReceived: 10,
                    Subscriptions: [new ViewerReport("rtsp 127.0.0.1:50000 #1", 990, 7), new ViewerReport("rtsp 127.0.0.1:50002 #2", 995, 2)]),
            ]),
            new SchoolReport("school-2", null, true, new DateTimeOffset(2025, 1, 1, 11, 0, 0, TimeSpan.Zero),
            [
                new CameraReport(
                    "hall", "school-2/hall", CameraStates.BackingOff, new DateTimeOffset(2025, 1, 1, 12, 0, 30, TimeSpan.Zero), null, [],
                    0, 0, null, 0, "DESCRIBE answered 401 \"Unauthorized\"", 0, 0, 0, 0, 0, 0, 0, []),
            ]),
        ],
        RelayPacketsOutstanding: 42);

    [Theory]
    [InlineData("""streamgateway_camera_bitrate_bits_per_second{school="school-1",camera="gate"} 2000000""")]
    [InlineData("""streamgateway_camera_frames_per_second{school="school-1",camera="gate"} 25""")]
    [InlineData("""streamgateway_camera_last_keyframe_age_seconds{school="school-1",camera="gate"} 0.5""")]
    [InlineData("""streamgateway_camera_reconnects_total{school="school-1",camera="gate"} 3""")]
    [InlineData("""streamgateway_camera_viewers{school="school-1",camera="gate"} 2""")]
    [InlineData("""streamgateway_camera_tracks{school="school-1",camera="gate"} 2""")]
    [InlineData("""streamgateway_camera_track_info{school="school-1",camera="gate",track="1",kind="audio",encoding="MPEG4-GENERIC"} 1""")]
    [InlineData("""streamgateway_camera_state{school="school-1",camera="gate",state="streaming"} 1""")]
    [InlineData("""streamgateway_camera_state{school="school-1",camera="gate",state="stalled"} 0""")]
    [InlineData("""streamgateway_camera_state{school="school-2",camera="hall",state="backing_off"} 1""")]
    [InlineData("""streamgateway_camera_next_attempt_timestamp_seconds{school="school-2",camera="hall"} 1735732830""")]
    [InlineData("""streamgateway_school_offline{school="school-2"} 1""")]
    [InlineData("""streamgateway_school_offline{school="school-1"} 0""")]
    [InlineData("""streamgateway_school_offline_since_timestamp_seconds{school="school-2"} 1735729200""")]
    [InlineData("""streamgateway_camera_last_error_info{school="school-2",camera="hall",error="DESCRIBE answered 401 \"Unauthorized\""} 1""")]
    [InlineData("""streamgateway_viewer_dropped_packets_total{school="school-1",camera="gate",viewer="rtsp 127.0.0.1:50000 #1"} 7""")]
    [InlineData("""streamgateway_viewer_dropped_packets_total{school="school-1",camera="gate",viewer="rtsp 127.0.0.1:50002 #2"} 2""")]
    [InlineData("""streamgateway_viewer_delivered_packets_total{school="school-1",camera="gate",viewer="rtsp 127.0.0.1:50000 #1"} 990""")]
    [InlineData("""streamgateway_camera_viewer_dropped_packets_total{school="school-1",camera="gate"} 9""")]
    public void Writes_each_figure_as_a_sample_labelled_by_school_and_camera(string expectedLine)
    {
        var lines = PrometheusExporter.Write(SampleReport()).Split('\n');

        Assert.Contains(expectedLine, lines);
    }

    [Theory]
    [InlineData("streamgateway_camera_last_keyframe_age_seconds", "hall")]
    [InlineData("streamgateway_camera_next_attempt_timestamp_seconds", "gate")]
    [InlineData("streamgateway_camera_last_error_info", "gate")]
    [InlineData("streamgateway_viewer_dropped_packets_total", "hall")]
    public void Leaves_out_series_that_have_no_value(string family, string camera)
    {
        var lines = PrometheusExporter.Write(SampleReport()).Split('\n');

        Assert.DoesNotContain(lines, l => l.StartsWith(family + "{", StringComparison.Ordinal) && l.Contains($"camera=\"{camera}\"", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_line_is_a_comment_or_a_sample_and_each_family_is_declared_once_before_its_samples()
    {
        var text = PrometheusExporter.Write(SampleReport());
        Assert.EndsWith("\n", text, StringComparison.Ordinal);

        var declared = new Dictionary<string, string>(StringComparer.Ordinal);
        var helped = new HashSet<string>(StringComparer.Ordinal);
        var finished = new HashSet<string>(StringComparer.Ordinal);
        string? current = null;
        foreach (var line in text.TrimEnd('\n').Split('\n'))
        {
            var comment = CommentLine().Match(line);
            if (comment.Success)
            {
                var name = comment.Groups[2].Value;
                if (comment.Groups[1].Value == "HELP")
                {
                    Assert.True(helped.Add(name), $"second HELP for {name}");
                }
                else
                {
                    Assert.Contains(comment.Groups[3].Value, (string[])["gauge", "counter"]);
                    Assert.True(declared.TryAdd(name, comment.Groups[3].Value), $"second TYPE for {name}");
                }

                if (current is not null && current != name)
                {
                    finished.Add(current);
                }

                current = name;
                continue;
            }

            Assert.Matches(SampleLine(), line);
            var sampleName = line[..line.IndexOfAny(['{', ' '])];
            Assert.True(declared.ContainsKey(sampleName), $"sample before TYPE: {line}");
            Assert.DoesNotContain(sampleName, finished);
            Assert.Equal(current, sampleName);
            if (declared[sampleName] == "counter")
            {
                Assert.EndsWith("_total", sampleName, StringComparison.Ordinal);
            }
        }

        Assert.Equal(helped, declared.Keys.ToHashSet());
    }

    [Fact]
    public void Writes_no_viewer_series_when_nobody_watches()
    {
        var report = SampleReport();
        var school = report.Schools[0];
        var quiet = report with { Schools = [school with { Cameras = [school.Cameras[0] with { Viewers = 0, Subscriptions = [] }] }] };

        var text = PrometheusExporter.Write(quiet);

        Assert.DoesNotContain("viewer=", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE streamgateway_viewer_dropped_packets_total counter", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("""back\slash""", """back\\slash""")]
    [InlineData("""say "hi" """, """say \"hi\" """)]
    [InlineData("two\nlines", """two\nlines""")]
    [InlineData("\\\"\n", """\\\"\n""")]
    public void Escapes_backslash_quote_and_line_feed_in_label_values(string value, string expected)
    {
        Assert.Equal(expected, PrometheusExporter.EscapeLabelValue(value));
    }

    [Theory]
    [InlineData(0.0, "0")]
    [InlineData(25.0, "25")]
    [InlineData(0.125, "0.125")]
    [InlineData(-3.5, "-3.5")]
    [InlineData(1e21, "1E+21")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NegativeInfinity, "-Inf")]
    public void Formats_values_as_the_format_spells_them(double value, string expected)
    {
        Assert.Equal(expected, PrometheusExporter.FormatValue(value));
    }

    [Fact]
    public void Cuts_a_long_error_label_to_the_limit()
    {
        var report = SampleReport();
        var school = report.Schools[1];
        var error = new string('x', PrometheusExporter.MaxErrorLabelLength + 50);
        var noisy = report with { Schools = [school with { Cameras = [school.Cameras[0] with { LastError = error }] }] };

        var line = PrometheusExporter.Write(noisy).Split('\n').Single(l => l.StartsWith("streamgateway_camera_last_error_info{", StringComparison.Ordinal));

        Assert.Contains($"error=\"{new string('x', PrometheusExporter.MaxErrorLabelLength)}\"", line, StringComparison.Ordinal);
    }
}
