using System.Collections.Concurrent;
using System.Numerics;

namespace StreamGateway.Relay;

/// <summary>
/// Pool of <see cref="RelayPacket"/> objects, each keeping its buffer while pooled, sorted by power-of-two size.
/// Thread-safe: packets are rented on the ingest thread and released on any subscriber's thread.
/// </summary>
/// <remarks>
/// Buffers stay with their packet instead of going back to <c>ArrayPool&lt;byte&gt;.Shared</c>: that pool keeps only
/// a few dozen arrays per size and core, while one GOP cache alone holds hundreds of packets, so every packet
/// beyond that would allocate a fresh array. At most <c>maxPooledObjects</c> packets (with their buffers) are kept.
/// </remarks>
public sealed class RelayPacketPool
{
    private const int MinSizeClass = 8;   // 256 bytes: RTCP and audio
    private const int MaxSizeClass = 20;  // 1 MiB; larger buffers are allocated exactly and never pooled

    private readonly ConcurrentQueue<RelayPacket>[] _free;
    private readonly int _maxPooledObjects;
    private int _pooledCount;
    private long _outstanding;

    /// <summary>The process-wide pool.</summary>
    public static RelayPacketPool Shared { get; } = new();

    /// <param name="maxPooledObjects">Packets kept for reuse at most (with their buffers); more are left to the GC.</param>
    public RelayPacketPool(int maxPooledObjects = 65536)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxPooledObjects);
        _maxPooledObjects = maxPooledObjects;
        _free = new ConcurrentQueue<RelayPacket>[MaxSizeClass - MinSizeClass + 1];
        for (int i = 0; i < _free.Length; i++)
        {
            _free[i] = new ConcurrentQueue<RelayPacket>();
        }
    }

    /// <summary>Packets rented and not yet returned (last reference not released): leak detection.</summary>
    public long Outstanding => Interlocked.Read(ref _outstanding);

    /// <summary>Packets kept for reuse now.</summary>
    internal int PooledCount => Volatile.Read(ref _pooledCount);

    /// <summary>Rents a packet with at least <paramref name="minimumCapacity"/> bytes; the caller holds one reference.</summary>
    public RelayPacket Rent(int minimumCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minimumCapacity);
        int sizeClass = SizeClass(minimumCapacity);
        RelayPacket? packet = null;
        if (sizeClass <= MaxSizeClass && _free[sizeClass - MinSizeClass].TryDequeue(out packet))
        {
            Interlocked.Decrement(ref _pooledCount);
        }

        packet ??= new RelayPacket(this, new byte[sizeClass <= MaxSizeClass ? 1 << sizeClass : minimumCapacity]);
        packet.Initialize();
        Interlocked.Increment(ref _outstanding);
        return packet;
    }

    /// <summary>Called by the last <see cref="RelayPacket.Release"/>.</summary>
    internal void Return(RelayPacket packet)
    {
        int capacity = packet.Detach();
        Interlocked.Decrement(ref _outstanding);
        int sizeClass = SizeClass(capacity);
        if (sizeClass > MaxSizeClass || 1 << sizeClass != capacity)
        {
            return;
        }

        if (Interlocked.Increment(ref _pooledCount) <= _maxPooledObjects)
        {
            _free[sizeClass - MinSizeClass].Enqueue(packet);
        }
        else
        {
            Interlocked.Decrement(ref _pooledCount);
        }
    }

    private static int SizeClass(int capacity) =>
        capacity <= 1 << MinSizeClass ? MinSizeClass : 32 - BitOperations.LeadingZeroCount((uint)capacity - 1);
}
