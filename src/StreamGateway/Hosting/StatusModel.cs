using StreamGateway.Configuration;
using StreamGateway.Ingest;
using StreamGateway.Relay;

namespace StreamGateway.Hosting;

/// <summary>What <c>GET /api/v1/status</c> returns and <c>/metrics</c> is written from: every school and camera at one moment.</summary>
/// <param name="RelayPacketsOutstanding">Packets rented from the relay pool and not yet returned: flat over time, or buffers leak.</param>
/// <param name="Destinations">Every configured destination with its pull viewers (empty without destinations).</param>
/// <param name="Runtime">The process's memory and GC figures, so memory growth can be told apart (live heap, free heap, relay pool).</param>
internal sealed record GatewayStatusReport(DateTimeOffset GeneratedAt, IReadOnlyList<SchoolReport> Schools, long RelayPacketsOutstanding, IReadOnlyList<DestinationReport>? Destinations = null, IReadOnlyList<PushReport>? Pushes = null, RuntimeReport? Runtime = null);

/// <summary>
/// Where the gateway's memory is: resident set, the GC's heap (live after the last collection), what the GC holds
/// committed (live + free regions kept for reuse), bytes allocated since start (the churn that drives collections),
/// collection counts, threads, and the relay pool's idle packets.
/// </summary>
internal sealed record RuntimeReport(
    long ResidentBytes,
    long GcHeapBytes,
    long GcCommittedBytes,
    long GcFragmentedBytes,
    long AllocatedBytesTotal,
    int Gen0Collections,
    int Gen1Collections,
    int Gen2Collections,
    int Threads,
    int RelayPacketsPooled)
{
    public static RuntimeReport Capture(int relayPacketsPooled)
    {
        var gc = GC.GetGCMemoryInfo();
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        return new RuntimeReport(
            process.WorkingSet64,
            gc.HeapSizeBytes,
            gc.TotalCommittedBytes,
            gc.FragmentedBytes,
            GC.GetTotalAllocatedBytes(),
            GC.CollectionCount(0),
            GC.CollectionCount(1),
            GC.CollectionCount(2),
            System.Threading.ThreadPool.ThreadCount,
            relayPacketsPooled);
    }
}

/// <summary>One destination (operations center): its name, the schools routed to it and its users' live viewing sessions.</summary>
internal sealed record DestinationReport(string Id, string? Name, int Schools, int PullUsers, int PullViewers, bool Push);

/// <summary>One school. <paramref name="Offline"/>: its link is down (every camera failing).</summary>
internal sealed record SchoolReport(string Id, string? Name, bool Offline, DateTimeOffset? OfflineSince, IReadOnlyList<CameraReport> Cameras);

/// <summary>One camera as operators see it. Holds no secrets: no source URL, no credentials, errors scrubbed.</summary>
/// <param name="State">One of <see cref="CameraStates"/>.</param>
/// <param name="NextAttemptAt">When the next connect attempt is due, while backing off.</param>
/// <param name="Transport">"tcp" or "udp": the current or last upstream session's transport.</param>
/// <param name="BitrateBitsPerSecond">RTP of every track over the last few seconds.</param>
/// <param name="FramesPerSecond">Video frames over the last few seconds.</param>
/// <param name="LastKeyframeAgeSeconds">Null before the first keyframe.</param>
/// <param name="ViewerDroppedPackets">Drops of every viewer since the hub was created, closed viewers included.</param>
/// <param name="Subscriptions">Live viewers only.</param>
internal sealed record CameraReport(
    string Id,
    string Path,
    string State,
    DateTimeOffset? NextAttemptAt,
    string? Transport,
    IReadOnlyList<TrackReport> Tracks,
    double BitrateBitsPerSecond,
    double FramesPerSecond,
    double? LastKeyframeAgeSeconds,
    long Reconnects,
    string? LastError,
    int Viewers,
    long ViewerDroppedPackets,
    long PacketsReceived,
    long BytesReceived,
    long MalformedPackets,
    long FramesReceived,
    long KeyframesReceived,
    IReadOnlyList<ViewerReport> Subscriptions);

internal sealed record TrackReport(int Index, string Kind, string Encoding, int ClockRate, int? Channels);

/// <summary>One live subscription: <paramref name="Name"/> is the subscriber's name (for RTSP viewers, address and session number).</summary>
internal sealed record ViewerReport(string Name, long DeliveredPackets, long DroppedPackets);

/// <summary>The camera states the status API reports; a closed set so metrics stay bounded.</summary>
internal static class CameraStates
{
    public const string Idle = "idle";
    public const string Connecting = "connecting";
    public const string Streaming = "streaming";
    public const string BackingOff = "backing_off";
    public const string Stalled = "stalled";
    public const string SchoolOffline = "school_offline";
    public const string Stopped = "stopped";

    public static IReadOnlyList<string> All { get; } = [Idle, Connecting, Streaming, BackingOff, Stalled, SchoolOffline, Stopped];
}

/// <summary>Builds <see cref="GatewayStatusReport"/> from the config in force, the connectors and the hubs.</summary>
internal static class StatusModel
{
    public static GatewayStatusReport Build(GatewayConfig config, Func<string, SchoolConnector?> findSchool, StreamRegistry registry, TimeProvider time, long relayPacketsOutstanding)
    {
        var schools = new List<SchoolReport>(config.Schools.Count);
        foreach (var school in config.Schools)
        {
            var connector = findSchool(school.Id);
            var offline = connector?.IsOffline ?? false;
            var cameras = new List<CameraReport>(school.Cameras.Count);
            foreach (var camera in school.Cameras)
            {
                cameras.Add(BuildCamera(camera, connector?.Find(camera.Path), registry.Resolve(camera.Path), offline));
            }

            schools.Add(new SchoolReport(school.Id, school.Name, offline, offline ? connector?.OfflineSince : null, cameras));
        }

        return new GatewayStatusReport(time.GetUtcNow(), schools, relayPacketsOutstanding);
    }

    private static CameraReport BuildCamera(CameraConfig camera, CameraConnector? connector, StreamHub? hub, bool schoolOffline)
    {
        var state = connector is null ? CameraStates.Stopped : MapState(connector.State.ToString(), schoolOffline);
        var counters = connector?.Counters;
        var rates = counters?.GetRates() ?? default;
        var stats = hub?.GetStats();
        var viewers = hub is null ? [] : hub.Subscriptions
            .Where(s => !s.IsClosed)
            .Select(s => new ViewerReport(s.Name, s.DeliveredPackets, s.DroppedPackets))
            .ToArray();

        return new CameraReport(
            camera.CameraId,
            camera.Path,
            state,
            state == CameraStates.BackingOff ? connector?.NextAttemptAt : null,
            connector?.ActiveTransport?.ToString().ToLowerInvariant(),
            hub?.Tracks?.Select(t => new TrackReport(t.Index, t.Kind.ToString().ToLowerInvariant(), t.EncodingName, t.ClockRate, t.Channels)).ToArray() ?? [],
            Math.Round(rates.BitsPerSecond),
            Math.Round(rates.FramesPerSecond, 2),
            counters?.LastKeyframeAge is { } age ? Math.Round(age.TotalSeconds, 3) : null,
            counters?.Reconnects ?? 0,
            Scrub(connector?.LastError, camera),
            stats?.Subscribers ?? 0,
            stats?.DroppedPackets ?? 0,
            counters?.Packets ?? 0,
            counters?.Bytes ?? 0,
            counters?.Malformed ?? 0,
            counters?.Frames ?? 0,
            counters?.Keyframes ?? 0,
            viewers);
    }

    /// <summary>
    /// The connector's state by name (so a state added later still maps, to its own snake_case name).
    /// A camera that is not streaming while its school is offline reports the school, the root cause.
    /// </summary>
    internal static string MapState(string connectorState, bool schoolOffline)
    {
        var state = connectorState switch
        {
            "Idle" => CameraStates.Idle,
            "Connecting" => CameraStates.Connecting,
            "Streaming" => CameraStates.Streaming,
            "Retrying" => CameraStates.BackingOff,
            "Stalled" => CameraStates.Stalled,
            "WaitingForSchool" => CameraStates.SchoolOffline,
            "Stopped" => CameraStates.Stopped,
            _ => ToSnakeCase(connectorState),
        };

        return schoolOffline && state is not (CameraStates.Streaming or CameraStates.Idle or CameraStates.Stopped)
            ? CameraStates.SchoolOffline
            : state;
    }

    /// <summary>
    /// Errors are built without user info already; this is the second line of defence: URL user info
    /// and the camera's configured password never leave the gateway through status.
    /// </summary>
    internal static string? Scrub(string? message, CameraConfig camera)
    {
        if (message is null)
        {
            return null;
        }

        message = SecretRedactor.RedactUrl(message);
        if (!string.IsNullOrEmpty(camera.Password))
        {
            message = message.Replace(camera.Password, SecretRedactor.Mask, StringComparison.Ordinal);
            var escaped = Uri.EscapeDataString(camera.Password);
            if (escaped != camera.Password)
            {
                message = message.Replace(escaped, SecretRedactor.Mask, StringComparison.Ordinal);
            }
        }

        return message;
    }

    private static string ToSnakeCase(string name)
    {
        var builder = new System.Text.StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                builder.Append('_');
            }

            builder.Append(char.ToLowerInvariant(name[i]));
        }

        return builder.ToString();
    }
}