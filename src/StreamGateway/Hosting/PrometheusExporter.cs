using System.Globalization;
using System.Text;

namespace StreamGateway.Hosting;

/// <summary>
/// Writes a <see cref="GatewayStatusReport"/> in the Prometheus text exposition format 0.0.4: per
/// family one <c># HELP</c> and one <c># TYPE</c> line, then its samples, families never interleaved.
/// Labels are school and camera (plus state, track or viewer where named); viewer series exist only
/// for live subscriptions, so cardinality follows what is connected now. Pure: no I/O, no clock.
/// </summary>
internal static class PrometheusExporter
{
    /// <summary>The Content-Type of the format written.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>Longest last-error label value; longer messages are cut (an error is a hint, not a log).</summary>
    internal const int MaxErrorLabelLength = 200;

    private const string Prefix = "streamgateway_";

    public static string Write(GatewayStatusReport report)
    {
        var writer = new Writer(new StringBuilder(4096));
        var schools = report.Schools;
        var cameras = schools.SelectMany(s => s.Cameras.Select(c => (School: s, Camera: c))).ToArray();

        writer.Family("relay_packets_outstanding", "gauge", "Packets rented from the relay pool and not yet returned (GOP caches and viewer queues); growth without bound means a leak.");
        writer.Sample("relay_packets_outstanding", [], report.RelayPacketsOutstanding);

        if (report.Runtime is { } runtime)
        {
            writer.Family("process_resident_bytes", "gauge", "Resident set size of the gateway process.");
            writer.Sample("process_resident_bytes", [], runtime.ResidentBytes);
            writer.Family("gc_heap_bytes", "gauge", "Managed heap size after the last collection (live objects and fragmentation).");
            writer.Sample("gc_heap_bytes", [], runtime.GcHeapBytes);
            writer.Family("gc_committed_bytes", "gauge", "Memory the GC holds committed, free regions kept for reuse included.");
            writer.Sample("gc_committed_bytes", [], runtime.GcCommittedBytes);
            writer.Family("gc_allocated_bytes_total", "counter", "Bytes allocated on the managed heap since start.");
            writer.Sample("gc_allocated_bytes_total", [], runtime.AllocatedBytesTotal);
            writer.Family("gc_collections_total", "counter", "Garbage collections by generation.");
            writer.Sample("gc_collections_total", [("generation", "0")], runtime.Gen0Collections);
            writer.Sample("gc_collections_total", [("generation", "1")], runtime.Gen1Collections);
            writer.Sample("gc_collections_total", [("generation", "2")], runtime.Gen2Collections);
            writer.Family("threadpool_threads", "gauge", "Thread pool threads.");
            writer.Sample("threadpool_threads", [], runtime.Threads);
            writer.Family("relay_packets_pooled", "gauge", "Idle packets the relay pool keeps for reuse (trimmed when unused).");
            writer.Sample("relay_packets_pooled", [], runtime.RelayPacketsPooled);
        }

        var destinations = report.Destinations ?? [];
        if (destinations.Count > 0)
        {
            writer.Family("destination_pull_viewers", "gauge", "Open viewing sessions of the destination's users.");
            foreach (var destination in destinations)
            {
                writer.Sample("destination_pull_viewers", [("destination", destination.Id)], destination.PullViewers);
            }

            writer.Family("destination_schools", "gauge", "Schools routed to the destination.");
            foreach (var destination in destinations)
            {
                writer.Sample("destination_schools", [("destination", destination.Id)], destination.Schools);
            }
        }

        var pushes = report.Pushes ?? [];
        if (pushes.Count > 0)
        {
            writer.Family("push_recording", "gauge", "1 while the push to the destination's media server is recording.");
            foreach (var push in pushes)
            {
                writer.Sample("push_recording", [("destination", push.Destination), ("camera", push.Camera)], push.State == "recording" ? 1 : 0);
            }

            writer.Family("push_sent_bytes_total", "counter", "Bytes pushed to the destination's media server.");
            foreach (var push in pushes)
            {
                writer.Sample("push_sent_bytes_total", [("destination", push.Destination), ("camera", push.Camera)], push.BytesSent);
            }

            writer.Family("push_failed_attempts_total", "counter", "Push connection attempts that failed.");
            foreach (var push in pushes)
            {
                writer.Sample("push_failed_attempts_total", [("destination", push.Destination), ("camera", push.Camera)], push.FailedAttempts);
            }
        }

        writer.Family("school_offline", "gauge", "1 while the school's link is down (every camera failing).");
        foreach (var school in schools)
        {
            writer.Sample("school_offline", [("school", school.Id)], school.Offline ? 1 : 0);
        }

        writer.Family("school_offline_since_timestamp_seconds", "gauge", "When the school went offline (Unix time); only while offline.");
        foreach (var school in schools)
        {
            if (school.Offline && school.OfflineSince is { } since)
            {
                writer.Sample("school_offline_since_timestamp_seconds", [("school", school.Id)], since.ToUnixTimeMilliseconds() / 1000.0);
            }
        }

        writer.Family("camera_state", "gauge", "1 for the camera's current state, 0 for the others.");
        foreach (var (school, camera) in cameras)
        {
            foreach (var state in CameraStates.All)
            {
                writer.Sample("camera_state", [("school", school.Id), ("camera", camera.Id), ("state", state)], camera.State == state ? 1 : 0);
            }

            if (!CameraStates.All.Contains(camera.State))
            {
                writer.Sample("camera_state", [("school", school.Id), ("camera", camera.Id), ("state", camera.State)], 1);
            }
        }

        writer.Family("camera_next_attempt_timestamp_seconds", "gauge", "When the next connect attempt is due (Unix time); only while backing off.");
        foreach (var (school, camera) in cameras)
        {
            if (camera.NextAttemptAt is { } next)
            {
                writer.Sample("camera_next_attempt_timestamp_seconds", [("school", school.Id), ("camera", camera.Id)], next.ToUnixTimeMilliseconds() / 1000.0);
            }
        }

        writer.Family("camera_track_info", "gauge", "One series per relayed track, value 1.");
        foreach (var (school, camera) in cameras)
        {
            foreach (var track in camera.Tracks)
            {
                writer.Sample(
                    "camera_track_info",
                    [("school", school.Id), ("camera", camera.Id), ("track", track.Index.ToString(CultureInfo.InvariantCulture)), ("kind", track.Kind), ("encoding", track.Encoding)],
                    1);
            }
        }

        CameraGauge("camera_tracks", "Relayed tracks.", c => c.Tracks.Count);
        CameraGauge("camera_bitrate_bits_per_second", "Received RTP bitrate over the last seconds.", c => c.BitrateBitsPerSecond);
        CameraGauge("camera_frames_per_second", "Received video frames per second over the last seconds.", c => c.FramesPerSecond);
        CameraGauge("camera_last_keyframe_age_seconds", "Time since the last keyframe; absent before the first.", c => c.LastKeyframeAgeSeconds);
        CameraGauge("camera_viewers", "Live viewer subscriptions.", c => c.Viewers);
        CameraCounter("camera_reconnects_total", "Upstream sessions started after the first.", c => c.Reconnects);
        CameraCounter("camera_received_packets_total", "RTP packets received from the camera.", c => c.PacketsReceived);
        CameraCounter("camera_received_bytes_total", "RTP bytes received from the camera.", c => c.BytesReceived);
        CameraCounter("camera_malformed_packets_total", "Packets from the camera that failed validation.", c => c.MalformedPackets);
        CameraCounter("camera_frames_total", "Video frames received from the camera.", c => c.FramesReceived);
        CameraCounter("camera_keyframes_total", "Keyframes received from the camera.", c => c.KeyframesReceived);
        CameraCounter("camera_viewer_dropped_packets_total", "Packets dropped for slow viewers, every viewer of the camera.", c => c.ViewerDroppedPackets);

        writer.Family("camera_last_error_info", "gauge", "The camera's last error as a label, value 1; absent when there is none.");
        foreach (var (school, camera) in cameras)
        {
            if (camera.LastError is { } error)
            {
                var label = error.Length > MaxErrorLabelLength ? error[..MaxErrorLabelLength] : error;
                writer.Sample("camera_last_error_info", [("school", school.Id), ("camera", camera.Id), ("error", label)], 1);
            }
        }

        writer.Family("viewer_dropped_packets_total", "counter", "Packets dropped for one live viewer (slow consumer).");
        foreach (var (school, camera) in cameras)
        {
            foreach (var viewer in camera.Subscriptions)
            {
                writer.Sample("viewer_dropped_packets_total", [("school", school.Id), ("camera", camera.Id), ("viewer", viewer.Name)], viewer.DroppedPackets);
            }
        }

        writer.Family("viewer_delivered_packets_total", "counter", "Packets delivered to one live viewer.");
        foreach (var (school, camera) in cameras)
        {
            foreach (var viewer in camera.Subscriptions)
            {
                writer.Sample("viewer_delivered_packets_total", [("school", school.Id), ("camera", camera.Id), ("viewer", viewer.Name)], viewer.DeliveredPackets);
            }
        }

        return writer.ToString();

        void CameraGauge(string name, string help, Func<CameraReport, double?> value) => CameraFamily(name, "gauge", help, value);

        void CameraCounter(string name, string help, Func<CameraReport, double?> value) => CameraFamily(name, "counter", help, value);

        void CameraFamily(string name, string type, string help, Func<CameraReport, double?> value)
        {
            writer.Family(name, type, help);
            foreach (var (school, camera) in cameras)
            {
                if (value(camera) is { } v)
                {
                    writer.Sample(name, [("school", school.Id), ("camera", camera.Id)], v);
                }
            }
        }
    }

    /// <summary>Escapes a label value: backslash, double quote and line feed (the format's three escapes).</summary>
    internal static string EscapeLabelValue(string value)
    {
        if (value.AsSpan().IndexOfAny("\\\"\n") < 0)
        {
            return value;
        }

        return value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
    }

    /// <summary>Formats a sample value: Go-style float text, with NaN and ±Inf spelled as the format wants.</summary>
    internal static string FormatValue(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        _ when double.IsNaN(value) => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    private readonly struct Writer(StringBuilder text)
    {
        public void Family(string name, string type, string help)
        {
            // HELP text escapes only backslash and line feed.
            text.Append("# HELP ").Append(Prefix).Append(name).Append(' ')
                .Append(help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)).Append('\n');
            text.Append("# TYPE ").Append(Prefix).Append(name).Append(' ').Append(type).Append('\n');
        }

        public void Sample(string name, ReadOnlySpan<(string Name, string Value)> labels, double value)
        {
            text.Append(Prefix).Append(name);
            if (labels.Length > 0)
            {
                text.Append('{');
                for (var i = 0; i < labels.Length; i++)
                {
                    if (i > 0)
                    {
                        text.Append(',');
                    }

                    text.Append(labels[i].Name).Append("=\"").Append(EscapeLabelValue(labels[i].Value)).Append('"');
                }

                text.Append('}');
            }

            text.Append(' ').Append(FormatValue(value)).Append('\n');
        }

        public override string ToString() => text.ToString();
    }
}
