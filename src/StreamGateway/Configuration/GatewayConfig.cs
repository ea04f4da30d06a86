using System.Collections;
using System.Text;

namespace StreamGateway.Configuration;

/// <summary>
/// The validated gateway configuration. Immutable; value equality (lists compare element by element)
/// is how a reload finds what changed. Built only by <see cref="GatewayConfigLoader"/> in production.
/// </summary>
internal sealed record GatewayConfig
{
    /// <summary>RTSP listener port for dispatchers. Optional, default 8554; 0 means any free port.</summary>
    public int RtspPort { get; init; } = 8554;

    /// <summary>RTSP listener address. Optional, default "0.0.0.0".</summary>
    public string RtspBindAddress { get; init; } = "0.0.0.0";

    /// <summary>RTSP connections the server holds at once; more are closed on accept. Optional, default 1000.</summary>
    public int RtspMaxConnections { get; init; } = GatewayConfigLoader.DefaultRtspMaxConnections;

    /// <summary>RTSP connections one client address may hold at once (session-flood defence). Optional, default 256.</summary>
    public int RtspMaxConnectionsPerClientAddress { get; init; } = GatewayConfigLoader.DefaultRtspMaxConnectionsPerClientAddress;

    /// <summary>HTTP status listener port. Optional, default 8080; 0 means any free port.</summary>
    public int HttpPort { get; init; } = 8080;

    /// <summary>HTTP status listener address. Optional, default "0.0.0.0".</summary>
    public string HttpBindAddress { get; init; } = "0.0.0.0";

    /// <summary>Archive settings (<c>Gateway:Recording</c>). Optional, defaults in <see cref="RecordingSettings"/>.</summary>
    public RecordingSettings Recording { get; init; } = RecordingSettings.Default;

    /// <summary>Relay settings (<c>Gateway:Relay</c>). Optional, defaults in <see cref="RelaySettings"/>.</summary>
    public RelaySettings Relay { get; init; } = RelaySettings.Default;

    /// <summary>Every school, sorted by id (ordinal).</summary>
    public IReadOnlyList<SchoolConfig> Schools { get; init => field = ValueList<SchoolConfig>.From(value); } = ValueList<SchoolConfig>.Empty;

    /// <summary>Every destination (operations center), sorted by id (ordinal). Empty in a config of the core issue.</summary>
    public IReadOnlyList<DestinationConfig> Destinations { get; init => field = ValueList<DestinationConfig>.From(value); } = ValueList<DestinationConfig>.Empty;

    /// <summary>District routes, sorted by district (ordinal).</summary>
    public IReadOnlyList<DistrictConfig> Districts { get; init => field = ValueList<DistrictConfig>.From(value); } = ValueList<DistrictConfig>.Empty;

    /// <summary>The audit trail settings.</summary>
    public AuditConfig Audit { get; init; } = new();

    /// <summary>True when some destination has at least one Pull user: then every viewer must authenticate.</summary>
    public bool HasPullUsers => Destinations.Any(d => d.Pull is { Users.Count: > 0 });

    public DestinationConfig? FindDestination(string id) => Destinations.FirstOrDefault(d => string.Equals(d.Id, id, StringComparison.Ordinal));

    /// <summary>The destination ids a school is routed to: its own list and its district's, distinct, sorted (ordinal).</summary>
    public IReadOnlyList<string> RoutesOf(SchoolConfig school)
    {
        ArgumentNullException.ThrowIfNull(school);
        var district = school.District is null ? null : Districts.FirstOrDefault(d => string.Equals(d.Id, school.District, StringComparison.Ordinal));
        return school.Destinations.Concat(district?.Destinations ?? []).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>The ids of the schools routed to <paramref name="destinationId"/>.</summary>
    public IReadOnlySet<string> SchoolsOf(string destinationId) =>
        Schools.Where(s => RoutesOf(s).Contains(destinationId, StringComparer.Ordinal)).Select(s => s.Id).ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// Every (camera, push destination) pair with its expanded URL, ordered by camera path then destination id:
    /// what the push client must run. Equal routes across a reload need no restart.
    /// </summary>
    public IReadOnlyList<PushRoute> PushRoutes()
    {
        var routes = new List<PushRoute>();
        foreach (var school in Schools)
        {
            foreach (var id in RoutesOf(school))
            {
                var destination = FindDestination(id);
                if (destination?.Push is not { } push)
                {
                    continue;
                }

                foreach (var camera in school.Cameras)
                {
                    routes.Add(new PushRoute(camera, destination, push.ExpandUrl(school.Id, camera.CameraId, school.District)));
                }
            }
        }

        return routes.OrderBy(r => r.Camera.Path, StringComparer.Ordinal).ThenBy(r => r.Destination.Id, StringComparer.Ordinal).ToList();
    }
}

/// <summary>One school: a group of cameras pulled by one connector.</summary>
internal sealed record SchoolConfig
{
    /// <summary>Required. The config key; URL-path safe; the first segment of every camera path.</summary>
    public required string Id { get; init; }

    /// <summary>Optional (a warning when missing). Human readable name.</summary>
    public string? Name { get; init; }

    /// <summary>Optional. District the school belongs to.</summary>
    public string? District { get; init; }

    /// <summary>Optional. Destination ids the school is routed to, as listed (district routes add to these; see <see cref="GatewayConfig.RoutesOf"/>).</summary>
    public IReadOnlyList<string> Destinations { get; init => field = ValueList<string>.From(value); } = ValueList<string>.Empty;

    /// <summary>The school's cameras, sorted by camera id (ordinal).</summary>
    public IReadOnlyList<CameraConfig> Cameras { get; init => field = ValueList<CameraConfig>.From(value); } = ValueList<CameraConfig>.Empty;
}

/// <summary>How the gateway pulls a camera's RTP.</summary>
internal enum CameraTransport
{
    /// <summary>Try UDP, fall back to TCP interleaved.</summary>
    Auto,

    /// <summary>RTP interleaved on the RTSP TCP connection.</summary>
    Tcp,

    /// <summary>RTP over UDP.</summary>
    Udp,
}

/// <summary>
/// One camera. <see cref="ToString"/> never shows the password. Two configs that are equal need no
/// restart on reload.
/// </summary>
internal sealed record CameraConfig
{
    /// <summary>Required. Id of the owning school.</summary>
    public required string SchoolId { get; init; }

    /// <summary>Required. The camera's key within its school; URL-path safe.</summary>
    public required string CameraId { get; init; }

    /// <summary>The path the gateway re-publishes the camera at: "school/camera".</summary>
    public string Path => $"{SchoolId}/{CameraId}";

    /// <summary>Required. Absolute rtsp:// or rtsps:// URL without user info (credentials live below).</summary>
    public required string Source { get; init; }

    /// <summary>Optional. Camera login, from the URL user info or the Username key.</summary>
    public string? Username { get; init; }

    /// <summary>Optional secret. Camera password; never printed.</summary>
    public string? Password { get; init; }

    /// <summary>Optional, default <see cref="CameraTransport.Auto"/>.</summary>
    public CameraTransport Transport { get; init; } = CameraTransport.Auto;

    /// <summary>Optional, default false: pulled all the time; true: pulled only while someone watches.</summary>
    public bool OnDemand { get; init; }

    /// <summary>The reconnect policy in force for this camera (global, then school, then camera keys).</summary>
    public ReconnectSettings Reconnect { get; init; } = ReconnectSettings.Default;

    /// <summary>Whether the camera is archived (global, then school, then camera <c>Recording:Enabled</c>). Default true.</summary>
    public bool RecordingEnabled { get; init; } = true;

    // Written by hand so the password can never reach a log through ToString.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Path = ").Append(Path)
            .Append(", Source = ").Append(SecretRedactor.RedactUrl(Source))
            .Append(", Username = ").Append(Username)
            .Append(", Password = ").Append(Password is null ? string.Empty : SecretRedactor.Mask)
            .Append(", Transport = ").Append(Transport)
            .Append(", OnDemand = ").Append(OnDemand)
            .Append(", Reconnect = ").Append(Reconnect)
            .Append(", RecordingEnabled = ").Append(RecordingEnabled);
        return true;
    }
}

/// <summary>
/// A read-only list with value equality, so records holding lists compare by content without
/// hand-written Equals on every record.
/// </summary>
internal sealed class ValueList<T> : IReadOnlyList<T>, IEquatable<ValueList<T>>
{
    private readonly T[] _items;

    private ValueList(T[] items) => _items = items;

    public static ValueList<T> Empty { get; } = new([]);

    public static ValueList<T> From(IEnumerable<T>? items) => items switch
    {
        null => Empty,
        ValueList<T> list => list,
        _ => new ValueList<T>(items.ToArray()),
    };

    public int Count => _items.Length;

    public T this[int index] => _items[index];

    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)_items).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => _items.GetEnumerator();

    public bool Equals(ValueList<T>? other) => other is not null && _items.SequenceEqual(other._items);

    public override bool Equals(object? obj) => obj is ValueList<T> other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var item in _items)
        {
            hash.Add(item);
        }

        return hash.ToHashCode();
    }

    public override string ToString() => "[" + string.Join(", ", _items) + "]";
}
