namespace StreamGateway.Relay;

/// <summary>
/// Packets since the start of the latest keyframe access unit. Holds one reference per cached packet.
/// Not thread-safe: the hub uses it under its lock.
/// </summary>
internal sealed class GopCache
{
    private readonly int _maxPackets;
    private readonly long _maxBytes;
    private readonly List<RelayPacket> _packets = [];
    private long _bytes;
    private bool _enabled;

    public GopCache(int maxPackets, long maxBytes)
    {
        _maxPackets = maxPackets;
        _maxBytes = maxBytes;
    }

    public int Count => _packets.Count;

    public long Bytes => _bytes;

    /// <summary>True between a keyframe start and an overflow or reset.</summary>
    public bool IsEnabled => _enabled;

    /// <summary>A keyframe access unit starts: drop the previous GOP and cache from here.</summary>
    public void Restart()
    {
        Clear();
        _enabled = true;
    }

    /// <summary>Drop everything and cache nothing until the next keyframe.</summary>
    public void Reset()
    {
        Clear();
        _enabled = false;
    }

    /// <summary>Caches the packet (one reference) when enabled; an overflow drops the whole GOP.</summary>
    public void Add(RelayPacket packet)
    {
        if (!_enabled)
        {
            return;
        }

        if (_packets.Count >= _maxPackets || _bytes + packet.Length > _maxBytes)
        {
            // A partial GOP is useless to a decoder: drop it and wait for the next keyframe.
            Reset();
            return;
        }

        packet.AddRef();
        _packets.Add(packet);
        _bytes += packet.Length;
    }

    /// <summary>Queues every cached packet, oldest first, into a new subscription sized to hold them.</summary>
    public void CopyTo(Subscription subscription)
    {
        foreach (RelayPacket packet in _packets)
        {
            subscription.EnqueueInitial(packet);
        }
    }

    private void Clear()
    {
        foreach (RelayPacket packet in _packets)
        {
            packet.Release();
        }

        // Clear keeps the list's capacity, so a steady stream does not allocate.
        _packets.Clear();
        _bytes = 0;
    }
}
