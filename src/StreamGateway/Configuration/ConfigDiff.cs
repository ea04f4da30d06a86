namespace StreamGateway.Configuration;

/// <summary>
/// What a reload changes, camera by camera (keyed by path). A camera whose config record is equal in
/// both is left running untouched.
/// </summary>
internal sealed record ConfigDiff
{
    /// <summary>Cameras only in the next config: start them.</summary>
    public required IReadOnlyList<CameraConfig> Added { get; init; }

    /// <summary>Cameras only in the previous config (their old settings): stop them.</summary>
    public required IReadOnlyList<CameraConfig> Removed { get; init; }

    /// <summary>Cameras in both whose settings differ (the new settings): restart them.</summary>
    public required IReadOnlyList<CameraConfig> Changed { get; init; }

    /// <summary>Number of cameras whose settings are identical.</summary>
    public int Unchanged { get; init; }

    /// <summary>A listener port or bind address differs; those apply only on restart.</summary>
    public bool ListenersChanged { get; init; }

    /// <summary><c>Gateway:Relay</c> differs; it applies only on restart.</summary>
    public bool RelayChanged { get; init; }

    public bool IsEmpty => Added.Count == 0 && Removed.Count == 0 && Changed.Count == 0 && !ListenersChanged && !RelayChanged;

    public static ConfigDiff Compute(GatewayConfig? previous, GatewayConfig next)
    {
        ArgumentNullException.ThrowIfNull(next);
        var before = (previous?.Schools ?? []).SelectMany(s => s.Cameras).ToDictionary(c => c.Path, StringComparer.Ordinal);
        var added = new List<CameraConfig>();
        var changed = new List<CameraConfig>();
        var unchanged = 0;
        foreach (var camera in next.Schools.SelectMany(s => s.Cameras))
        {
            if (!before.Remove(camera.Path, out var old))
            {
                added.Add(camera);
            }
            else if (old.Equals(camera with { RecordingEnabled = old.RecordingEnabled }))
            {
                // Recording on or off does not touch the camera's connection; the recording manager syncs it.
                unchanged++;
            }
            else
            {
                changed.Add(camera);
            }
        }

        var removed = before.Values.OrderBy(c => c.Path, StringComparer.Ordinal).ToList();
        var listenersChanged = previous is null
            || previous.RtspPort != next.RtspPort
            || previous.HttpPort != next.HttpPort
            || previous.RtspMaxConnections != next.RtspMaxConnections
            || previous.RtspMaxConnectionsPerClientAddress != next.RtspMaxConnectionsPerClientAddress
            || !string.Equals(previous.RtspBindAddress, next.RtspBindAddress, StringComparison.Ordinal)
            || !string.Equals(previous.HttpBindAddress, next.HttpBindAddress, StringComparison.Ordinal);
        var relayChanged = previous is not null && previous.Relay != next.Relay;
        return new ConfigDiff
        {
            Added = added, Removed = removed, Changed = changed, Unchanged = unchanged,
            ListenersChanged = listenersChanged, RelayChanged = relayChanged,
        };
    }
}
