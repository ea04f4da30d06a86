using System.Collections.Frozen;
using StreamGateway.Publish;
using StreamGateway.Relay;

namespace StreamGateway.Hosting;

/// <summary>
/// The hubs by path. Readers (every DESCRIBE) take no lock: the map is an immutable snapshot that a
/// config apply swaps whole.
/// </summary>
internal sealed class StreamRegistry : IStreamResolver
{
    private volatile FrozenDictionary<string, StreamHub> _hubs = FrozenDictionary<string, StreamHub>.Empty;
    private readonly object _writeGate = new();

    public StreamHub? Resolve(string path) => _hubs.GetValueOrDefault(path);

    public IReadOnlyCollection<StreamHub> All => _hubs.Values;

    public void Add(StreamHub hub)
    {
        lock (_writeGate)
        {
            var next = new Dictionary<string, StreamHub>(_hubs, StringComparer.Ordinal) { [hub.Path] = hub };
            _hubs = next.ToFrozenDictionary(StringComparer.Ordinal);
        }
    }

    public StreamHub? Remove(string path)
    {
        lock (_writeGate)
        {
            if (!_hubs.TryGetValue(path, out var hub))
            {
                return null;
            }

            var next = new Dictionary<string, StreamHub>(_hubs, StringComparer.Ordinal);
            next.Remove(path);
            _hubs = next.ToFrozenDictionary(StringComparer.Ordinal);
            return hub;
        }
    }
}
