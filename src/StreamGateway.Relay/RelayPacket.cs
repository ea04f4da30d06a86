namespace StreamGateway.Relay;

/// <summary>
/// One RTP or RTCP packet shared by reference between the ingest, the GOP cache and every subscriber queue.
/// </summary>
/// <remarks>
/// Ownership: <see cref="RelayPacketPool.Rent"/> gives the caller one reference. Whoever keeps the packet beyond
/// a call calls <see cref="AddRef"/>; every holder calls <see cref="Release"/> exactly once; the last
/// <see cref="Release"/> returns the object, with its buffer, to its <see cref="RelayPacketPool"/>. The producer fills <see cref="Buffer"/> and the metadata once, before the packet is shared; after
/// that every holder treats it as read-only.
/// <para>
/// A release or add-ref on a packet whose count is already zero always throws <see cref="InvalidOperationException"/>
/// (in every build). A stale holder that releases after the object was rented again cannot be told apart from
/// the new owner; the leak counter <see cref="RelayPacketPool.Outstanding"/> exposes such bugs in tests.
/// </para>
/// </remarks>
public sealed class RelayPacket
{
    private readonly RelayPacketPool _pool;
    private readonly byte[] _ownedArray;
    private byte[] _array = [];
    private int _length;
    private int _refCount;

    internal RelayPacket(RelayPacketPool pool, byte[] array)
    {
        _pool = pool;
        _ownedArray = array;
    }

    /// <summary>The whole writable capacity; the producer fills it once, then sets <see cref="Length"/>.</summary>
    public Memory<byte> Buffer => _array;

    /// <summary>Number of valid bytes at the start of <see cref="Buffer"/>.</summary>
    public int Length
    {
        get => _length;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, _array.Length);
            _length = value;
        }
    }

    /// <summary>The packet bytes: <c>Buffer[..Length]</c>.</summary>
    public ReadOnlyMemory<byte> Data => new(_array, 0, _length);

    /// <summary>The same bytes as <see cref="Data"/>, for socket APIs that take segment lists.</summary>
    public ArraySegment<byte> Segment => new(_array, 0, _length);

    /// <summary>Index into the hub's <see cref="StreamHub.Tracks"/>.</summary>
    public int TrackIndex { get; set; }

    /// <summary>True for RTCP (for example sender reports), relayed on the track's RTCP channel; never cached.</summary>
    public bool IsRtcp { get; set; }

    /// <summary>Set by the ingest from the codec: the packet starts (part of) a keyframe access unit.</summary>
    public bool IsKeyframeStart { get; set; }

    /// <summary>RTP timestamp of the packet (0 for RTCP).</summary>
    public uint RtpTimestamp { get; set; }

    /// <summary><see cref="System.Diagnostics.Stopwatch.GetTimestamp"/> when the packet was received, for latency.</summary>
    public long ReceivedAt { get; set; }

    /// <summary>Current reference count; for tests and diagnostics.</summary>
    internal int RefCount => Volatile.Read(ref _refCount);

    /// <summary>The pool this packet returns to.</summary>
    internal RelayPacketPool Pool => _pool;

    /// <summary>Adds one reference for a holder that keeps the packet beyond the current call.</summary>
    /// <exception cref="InvalidOperationException">The packet was already returned to its pool.</exception>
    public void AddRef()
    {
        while (true)
        {
            int current = Volatile.Read(ref _refCount);
            if (current <= 0)
            {
                throw new InvalidOperationException("AddRef on a relay packet that was already returned to its pool.");
            }

            if (Interlocked.CompareExchange(ref _refCount, current + 1, current) == current)
            {
                return;
            }
        }
    }

    /// <summary>Gives up one reference; the last one returns the buffer and the object to the pool.</summary>
    /// <exception cref="InvalidOperationException">The packet was already returned to its pool (double release).</exception>
    public void Release()
    {
        while (true)
        {
            int current = Volatile.Read(ref _refCount);
            if (current <= 0)
            {
                throw new InvalidOperationException("Release on a relay packet that was already returned to its pool (double release).");
            }

            if (Interlocked.CompareExchange(ref _refCount, current - 1, current) == current)
            {
                if (current == 1)
                {
                    _pool.Return(this);
                }

                return;
            }
        }
    }

    /// <summary>Prepares a pooled object for a new owner: its buffer, cleared metadata, one reference.</summary>
    internal void Initialize()
    {
        _array = _ownedArray;
        _length = 0;
        TrackIndex = 0;
        IsRtcp = false;
        IsKeyframeStart = false;
        RtpTimestamp = 0;
        ReceivedAt = 0;
        Volatile.Write(ref _refCount, 1);
    }

    /// <summary>Hides the buffer while pooled, so a use after release sees nothing; returns its capacity.</summary>
    internal int Detach()
    {
        _array = [];
        _length = 0;
        return _ownedArray.Length;
    }
}
