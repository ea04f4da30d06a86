using System.Collections.Concurrent;
using System.Numerics;

namespace StreamGateway.Relay;

/// <summary>
/// Pool of <see cref="RelayPacket"/> objects, each keeping its buffer while pooled, sorted by size class.
/// Thread-safe: packets are rented on the ingest thread and released on any subscriber's thread.
/// </summary>
/// <remarks>
/// Buffers stay with their packet instead of going back to <c>ArrayPool&lt;byte&gt;.Shared</c>: that pool keeps only
/// a few dozen arrays per size and core, while one GOP cache alone holds hundreds of packets, so every packet
/// beyond that would allocate a fresh array. At most <c>maxPooledObjects</c> packets (with their buffers) are kept.
/// <para>
/// Size classes are the powers of two and the midpoints between them (256, 384, 512, 768, 1024, 1536, ...):
/// a typical 1,400-byte RTP packet then sits in 1,536 bytes (+10 %) instead of 2,048 (+46 %).
/// </para>
/// <para>
/// A burst (a slow viewer's backlog, a reconnect storm) can leave many packets in the pool that steady state
/// never needs again. Every <see cref="TrimInterval"/> the pool frees, per class, the packets that stayed
/// unused for the last <see cref="TrimWindowIntervals"/> intervals (the lowest free count seen in that window),
/// so memory follows the load about a minute later. With one interval, the packets the GOP caches hold swing with
/// each camera's keyframes, and a trim freed what the next interval's swing needed again (a few dozen packets
/// every 10 s at N=50 cameras: small, but garbage that ends in gen2).
/// </para>
/// </remarks>
public sealed class RelayPacketPool
{
    /// <summary>How often surplus pooled packets are freed (checked on returns, so an idle pool keeps what it has).</summary>
    public static readonly TimeSpan TrimInterval = TimeSpan.FromSeconds(10);

    /// <summary>Trims a packet must stay unused through before it is freed (with <see cref="TrimInterval"/>: one minute).</summary>
    public const int TrimWindowIntervals = 6;

    private const int MinSizeLog2 = 8;    // 256 bytes: RTCP and audio
    private const int MaxSizeLog2 = 20;   // 1 MiB; larger buffers are allocated exactly and never pooled
    private const int ClassCount = 2 * (MaxSizeLog2 - MinSizeLog2) + 1;
    private const int TrimCheckEvery = 1024;

    private readonly SizeClass[] _classes;
    private readonly int _maxPooledObjects;
    private readonly TimeProvider _time;
    private int _pooledCount;
    private long _outstanding;
    private int _returnsSinceTrimCheck;
    private long _nextTrimAt;

    /// <summary>The process-wide pool.</summary>
    public static RelayPacketPool Shared { get; } = new();

    /// <param name="maxPooledObjects">Packets kept for reuse at most (with their buffers); more are left to the GC.</param>
    /// <param name="time">Clock for trimming; the system clock unless a test steps its own.</param>
    public RelayPacketPool(int maxPooledObjects = 65536, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxPooledObjects);
        _maxPooledObjects = maxPooledObjects;
        _time = time ?? TimeProvider.System;
        _classes = new SizeClass[ClassCount];
        for (int i = 0; i < _classes.Length; i++)
        {
            _classes[i] = new SizeClass(ClassSize(i));
        }

        _nextTrimAt = _time.GetTimestamp() + ToTicks(TrimInterval);
    }

    /// <summary>Packets rented and not yet returned (last reference not released): leak detection.</summary>
    public long Outstanding => Interlocked.Read(ref _outstanding);

    /// <summary>Packets kept for reuse now.</summary>
    public int PooledCount => Volatile.Read(ref _pooledCount);

    /// <summary>Rents a packet with at least <paramref name="minimumCapacity"/> bytes; the caller holds one reference.</summary>
    public RelayPacket Rent(int minimumCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minimumCapacity);
        int index = ClassIndex(minimumCapacity);
        RelayPacket? packet = null;
        if (index < ClassCount && _classes[index].TryTake(out packet))
        {
            Interlocked.Decrement(ref _pooledCount);
        }

        packet ??= new RelayPacket(this, new byte[index < ClassCount ? _classes[index].Size : minimumCapacity]);
        packet.Initialize();
        Interlocked.Increment(ref _outstanding);
        return packet;
    }

    /// <summary>
    /// Frees, per size class, the packets that stayed unused through the last <see cref="TrimWindowIntervals"/> trims. Called by the pool itself
    /// every <see cref="TrimInterval"/> while packets flow; public for tests and for hosts that want it sooner.
    /// </summary>
    /// <returns>How many pooled packets were freed.</returns>
    public int Trim()
    {
        int freed = 0;
        foreach (var sizeClass in _classes)
        {
            int freedHere = sizeClass.Trim();
            Interlocked.Add(ref _pooledCount, -freedHere);
            freed += freedHere;
        }

        return freed;
    }

    /// <summary>Called by the last <see cref="RelayPacket.Release"/>.</summary>
    internal void Return(RelayPacket packet)
    {
        int capacity = packet.Detach();
        Interlocked.Decrement(ref _outstanding);
        int index = ClassIndex(capacity);
        if (index < ClassCount && _classes[index].Size == capacity)
        {
            if (Interlocked.Increment(ref _pooledCount) <= _maxPooledObjects)
            {
                _classes[index].Add(packet);
            }
            else
            {
                Interlocked.Decrement(ref _pooledCount);
            }
        }

        if (Interlocked.Increment(ref _returnsSinceTrimCheck) >= TrimCheckEvery)
        {
            Volatile.Write(ref _returnsSinceTrimCheck, 0);
            TrimIfDue();
        }
    }

    private void TrimIfDue()
    {
        long now = _time.GetTimestamp();
        long due = Interlocked.Read(ref _nextTrimAt);
        if (now >= due && Interlocked.CompareExchange(ref _nextTrimAt, now + ToTicks(TrimInterval), due) == due)
        {
            Trim();
        }
    }

    private long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    // Class i: even i = 2^(8 + i/2), odd i = 1.5 * 2^(8 + i/2). Returns ClassCount for sizes above the largest class.
    private static int ClassIndex(int capacity)
    {
        if (capacity <= 1 << MinSizeLog2)
        {
            return 0;
        }

        int log2 = 32 - BitOperations.LeadingZeroCount((uint)capacity - 1); // smallest power of two >= capacity
        if (log2 > MaxSizeLog2)
        {
            return ClassCount;
        }

        int index = 2 * (log2 - MinSizeLog2);
        return capacity <= 3 << (log2 - 2) ? index - 1 : index;
    }

    private static int ClassSize(int index) =>
        index % 2 == 0 ? 1 << (MinSizeLog2 + index / 2) : 3 << (MinSizeLog2 + index / 2 - 1);

    /// <summary>The free packets of one buffer size, with the fewest free in each of the last trim intervals.</summary>
    private sealed class SizeClass(int size)
    {
        private readonly ConcurrentQueue<RelayPacket> _free = new();
        // Lowest free count of each of the last intervals (ring; 0 until observed, so nothing is freed sooner).
        private readonly int[] _windowMarks = new int[TrimWindowIntervals];
        private int _windowNext;
        private int _count;
        private int _lowWaterMark;

        public int Size { get; } = size;

        public void Add(RelayPacket packet)
        {
            _free.Enqueue(packet);
            Interlocked.Increment(ref _count);
        }

        public bool TryTake(out RelayPacket? packet)
        {
            if (!_free.TryDequeue(out packet))
            {
                Volatile.Write(ref _lowWaterMark, 0);
                return false;
            }

            int count = Interlocked.Decrement(ref _count);
            // Racy minimum: an occasional missed update only makes one trim keep a few packets more.
            if (count < Volatile.Read(ref _lowWaterMark))
            {
                Volatile.Write(ref _lowWaterMark, count);
            }

            return true;
        }

        /// <summary>
        /// Closes the current interval and frees the packets that stayed free through the whole window; the freed
        /// ones then no longer count as free in the window's earlier marks. Returns how many were freed.
        /// </summary>
        public int Trim()
        {
            _windowMarks[_windowNext] = Volatile.Read(ref _lowWaterMark);
            _windowNext = (_windowNext + 1) % _windowMarks.Length;
            Volatile.Write(ref _lowWaterMark, Volatile.Read(ref _count));
            int surplus = _windowMarks.Min();
            int freed = 0;
            while (freed < surplus && TryTake(out _))
            {
                freed++;
            }

            for (int i = 0; i < _windowMarks.Length; i++)
            {
                _windowMarks[i] = Math.Max(0, _windowMarks[i] - freed);
            }

            return freed;
        }
    }
}
