using System.Diagnostics.CodeAnalysis;
using System.Threading.Tasks.Sources;

namespace StreamGateway.Relay;

/// <summary>
/// One consumer of a <see cref="StreamHub"/>: a bounded queue that first holds the GOP cache, then live packets.
/// </summary>
/// <remarks>
/// The queue holds one reference per queued packet; <see cref="TryRead"/> hands that reference to the caller.
/// When the queue is full the packet is dropped and counted, and the subscription skips every packet until the
/// next keyframe access unit (streams without keyframe video resume as soon as there is room). Closing (by the
/// hub or by <see cref="Dispose"/>) releases every packet still queued. One reader at a time.
/// A ring under a short lock rather than a Channel: the producer can queue a burst and wake the reader once.
/// </remarks>
public sealed class Subscription : IDisposable, IValueTaskSource<bool>
{
    private const int InitialRingSize = 64;

    private readonly StreamHub _hub;
    private readonly int _capacity;
    // Guards the ring, _completed and _waiting; held for a few instructions only, never while calling out.
    private readonly Lock _lock = new();
    private RelayPacket?[] _ring;
    private int _head;
    private int _count;
    private bool _completed;

    // The one reader's pending WaitToReadAsync. Its continuation runs on the thread pool, unless the reader asked
    // to be woken inline (see ReaderRunsInline): then a live wake runs it on the producer's thread.
    private ManualResetValueTaskSourceCore<bool> _waiter = new() { RunContinuationsAsynchronously = true };
    private readonly bool _readerRunsInline;
    private bool _waiting;
    private CancellationTokenRegistration _waitRegistration;

    private long _delivered;
    private long _dropped;
    private string? _closeReason;

    // Touched by the producer (Publish) only; overlapping producers could at worst resume one packet early.
    private bool _skipping;

    // The skip follows a full queue (this viewer's loss, counted as drops), not a wait for a decodable start
    // (a newcomer before the first keyframe, a camera's discontinuity), where nothing of the viewer's is lost.
    private bool _skipCountsAsDrops;

    internal Subscription(StreamHub hub, string name, int capacity, bool readerRunsInline = false)
    {
        _hub = hub;
        Name = name;
        _capacity = capacity;
        _readerRunsInline = readerRunsInline;
        // Grows on demand: most viewers keep up and never hold more than a few packets.
        _ring = new RelayPacket?[Math.Min(capacity, InitialRingSize)];
    }

    /// <summary>Who subscribed (for logs and status).</summary>
    public string Name { get; }

    /// <summary>Packets handed to the reader by <see cref="TryRead"/>.</summary>
    public long DeliveredPackets => Interlocked.Read(ref _delivered);

    /// <summary>Packets dropped because the queue was full or while skipping to the next keyframe.</summary>
    public long DroppedPackets => Interlocked.Read(ref _dropped);

    /// <summary>Packets queued now (a moment's view: the producer may be adding more).</summary>
    public int QueuedPackets
    {
        get
        {
            lock (_lock)
            {
                return _count;
            }
        }
    }

    /// <summary>Why the subscription closed (see <see cref="SubscriptionCloseReasons"/>); null while open.</summary>
    public string? CloseReason => Volatile.Read(ref _closeReason);

    /// <summary>True once closed by the hub or disposed.</summary>
    public bool IsClosed => CloseReason is not null;

    /// <summary>Takes the next packet; the caller then owns the queue's reference and must release it.</summary>
    public bool TryRead([MaybeNullWhen(false)] out RelayPacket packet)
    {
        lock (_lock)
        {
            if (_count == 0)
            {
                packet = null;
                return false;
            }

            packet = _ring[_head]!;
            _ring[_head] = null;
            _head = _head + 1 == _ring.Length ? 0 : _head + 1;
            _count--;
        }

        Interlocked.Increment(ref _delivered);
        return true;
    }

    /// <summary>
    /// Waits until a packet can be read; false once the subscription is closed and drained. One reader at a time.
    /// A producer that publishes a burst wakes the reader once, after the burst (see <see cref="StreamHub.WakeSubscribers"/>).
    /// </summary>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken)
    {
        short version;
        lock (_lock)
        {
            if (_count > 0)
            {
                return new ValueTask<bool>(true);
            }

            if (_completed)
            {
                return new ValueTask<bool>(false);
            }

            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled<bool>(cancellationToken);
            }

            if (_waiting)
            {
                throw new InvalidOperationException("A subscription has one reader at a time.");
            }

            _waiter.Reset();
            _waiting = true;
            version = _waiter.Version;
        }

        if (cancellationToken.CanBeCanceled)
        {
            _waitRegistration = cancellationToken.UnsafeRegister(
                static (state, token) => ((Subscription)state!).CancelWait(token), this);
        }

        return new ValueTask<bool>(this, version);
    }

    /// <summary>Unsubscribes and releases every queued packet. Idempotent.</summary>
    public void Dispose()
    {
        _hub.Unsubscribe(this);
        Close(SubscriptionCloseReasons.Unsubscribed);
    }

    public override string ToString() => $"Subscription {Name}";

    bool IValueTaskSource<bool>.GetResult(short token)
    {
        var registration = _waitRegistration;
        _waitRegistration = default;
        registration.Dispose();
        return _waiter.GetResult(token);
    }

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _waiter.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _waiter.OnCompleted(continuation, state, token, flags);

    /// <summary>Queues a cached packet while subscribing; the queue was sized to hold the whole cache.</summary>
    internal void EnqueueInitial(RelayPacket packet)
    {
        packet.AddRef();
        lock (_lock)
        {
            if (TryEnqueueLocked(packet))
            {
                return;
            }
        }

        packet.Release();
        throw new InvalidOperationException("The subscription queue is smaller than the GOP cache.");
    }

    /// <summary>
    /// Offers a live packet (producer thread only). Returns true when the packet was dropped for this subscriber.
    /// </summary>
    /// <param name="packet">The published packet; a reference is added only if it is queued.</param>
    /// <param name="resumePoint">The packet starts a keyframe access unit on a video track with keyframes.</param>
    /// <param name="hasKeyframeVideo">The stream has such a track, so skipping waits for a resume point.</param>
    /// <param name="wake">Wake a waiting reader now; false when the producer calls <see cref="Wake"/> after its burst.</param>
    internal bool Offer(RelayPacket packet, bool resumePoint, bool hasKeyframeVideo, bool wake = true)
    {
        if (IsClosed)
        {
            return false;
        }

        if (_skipping && hasKeyframeVideo && !resumePoint)
        {
            if (!_skipCountsAsDrops)
            {
                return false;
            }

            Interlocked.Increment(ref _dropped);
            return true;
        }

        packet.AddRef();
        bool queued;
        bool closed;
        bool signal = false;
        lock (_lock)
        {
            closed = _completed;
            queued = !closed && TryEnqueueLocked(packet);
            if (queued && wake && _waiting)
            {
                _waiting = false;
                signal = true;
            }
        }

        if (signal)
        {
            SignalLive();
        }

        if (queued)
        {
            _skipping = false;
            return false;
        }

        packet.Release();
        if (closed)
        {
            // Closed between the check and the write: not a drop.
            return false;
        }

        Interlocked.Increment(ref _dropped);
        _skipping = true;
        _skipCountsAsDrops = true;
        return true;
    }

    /// <summary>Wakes a waiting reader if packets were queued without waking it.</summary>
    internal void Wake()
    {
        lock (_lock)
        {
            if (!_waiting || _count == 0)
            {
                return;
            }

            _waiting = false;
        }

        SignalLive();
    }

    /// <summary>
    /// Completes the reader's wait for live packets: inline on this (the producer's) thread when the reader asked for
    /// it, which saves a thread-pool hop and a thread wake-up per viewer per camera read; else on the thread pool.
    /// Closing and cancelling always complete on the thread pool (they come from host code holding its own locks).
    /// </summary>
    private void SignalLive()
    {
        _waiter.RunContinuationsAsynchronously = !_readerRunsInline;
        _waiter.SetResult(true);
    }

    /// <summary>
    /// The stream has a discontinuity (the camera reconnected): deliver nothing more until the next
    /// keyframe, so the player resumes on a decodable picture instead of references to a lost one.
    /// </summary>
    internal void SkipToNextKeyframe()
    {
        _skipping = true;
        _skipCountsAsDrops = false;
    }

    /// <summary>Closes with a reason (the first reason wins) and releases every queued packet.</summary>
    internal void Close(string reason)
    {
        if (Interlocked.CompareExchange(ref _closeReason, reason, null) is not null)
        {
            return;
        }

        RelayPacket?[] drained;
        int head;
        int count;
        bool signal;
        lock (_lock)
        {
            // After this no enqueue can succeed, so releasing the ring releases everything the producer queued.
            _completed = true;
            (drained, head, count) = (_ring, _head, _count);
            _ring = [];
            _head = 0;
            _count = 0;
            signal = _waiting;
            _waiting = false;
        }

        for (int i = 0; i < count; i++)
        {
            drained[(head + i) % drained.Length]!.Release();
        }

        if (signal)
        {
            _waiter.RunContinuationsAsynchronously = true;
            _waiter.SetResult(false);
        }
    }

    private bool TryEnqueueLocked(RelayPacket packet)
    {
        if (_count == _ring.Length)
        {
            if (_count >= _capacity)
            {
                return false;
            }

            var larger = new RelayPacket?[Math.Min(_capacity, Math.Max(InitialRingSize, _ring.Length * 2))];
            for (int i = 0; i < _count; i++)
            {
                larger[i] = _ring[(_head + i) % _ring.Length];
            }

            _ring = larger;
            _head = 0;
        }

        _ring[(_head + _count) % _ring.Length] = packet;
        _count++;
        return true;
    }

    private void CancelWait(CancellationToken token)
    {
        lock (_lock)
        {
            if (!_waiting)
            {
                return;
            }

            _waiting = false;
        }

        _waiter.RunContinuationsAsynchronously = true;
        _waiter.SetException(new OperationCanceledException(token));
    }
}
