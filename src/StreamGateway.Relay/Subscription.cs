using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;

namespace StreamGateway.Relay;

/// <summary>
/// One consumer of a <see cref="StreamHub"/>: a bounded queue that first holds the GOP cache, then live packets.
/// </summary>
/// <remarks>
/// The queue holds one reference per queued packet; <see cref="TryRead"/> hands that reference to the caller.
/// When the queue is full the packet is dropped and counted, and the subscription skips every packet until the
/// next keyframe access unit (streams without keyframe video resume as soon as there is room). Closing (by the
/// hub or by <see cref="Dispose"/>) releases every packet still queued. One reader at a time.
/// </remarks>
public sealed class Subscription : IDisposable
{
    private readonly StreamHub _hub;
    private readonly Channel<RelayPacket> _queue;
    private long _delivered;
    private long _dropped;
    private string? _closeReason;

    // Touched by the producer (Publish) only; overlapping producers could at worst resume one packet early.
    private bool _skipping;

    internal Subscription(StreamHub hub, string name, int capacity)
    {
        _hub = hub;
        Name = name;
        _queue = Channel.CreateBounded<RelayPacket>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait, // TryWrite fails when full: we drop, never wait
            SingleReader = true,
            SingleWriter = false, // the cache is copied on the subscribing thread, live packets come from the producer
            AllowSynchronousContinuations = false, // the producer must never run a reader's continuation
        });
    }

    /// <summary>Who subscribed (for logs and status).</summary>
    public string Name { get; }

    /// <summary>Packets handed to the reader by <see cref="TryRead"/>.</summary>
    public long DeliveredPackets => Interlocked.Read(ref _delivered);

    /// <summary>Packets dropped because the queue was full or while skipping to the next keyframe.</summary>
    public long DroppedPackets => Interlocked.Read(ref _dropped);

    /// <summary>Why the subscription closed (see <see cref="SubscriptionCloseReasons"/>); null while open.</summary>
    public string? CloseReason => Volatile.Read(ref _closeReason);

    /// <summary>True once closed by the hub or disposed.</summary>
    public bool IsClosed => CloseReason is not null;

    /// <summary>Takes the next packet; the caller then owns the queue's reference and must release it.</summary>
    public bool TryRead([MaybeNullWhen(false)] out RelayPacket packet)
    {
        if (_queue.Reader.TryRead(out packet))
        {
            Interlocked.Increment(ref _delivered);
            return true;
        }

        return false;
    }

    /// <summary>Waits until a packet can be read; false once the subscription is closed and drained.</summary>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken) =>
        _queue.Reader.WaitToReadAsync(cancellationToken);

    /// <summary>Unsubscribes and releases every queued packet. Idempotent.</summary>
    public void Dispose()
    {
        _hub.Unsubscribe(this);
        Close(SubscriptionCloseReasons.Unsubscribed);
    }

    public override string ToString() => $"Subscription {Name}";

    /// <summary>Queues a cached packet while subscribing; the queue was sized to hold the whole cache.</summary>
    internal void EnqueueInitial(RelayPacket packet)
    {
        packet.AddRef();
        if (!_queue.Writer.TryWrite(packet))
        {
            packet.Release();
            throw new InvalidOperationException("The subscription queue is smaller than the GOP cache.");
        }
    }

    /// <summary>
    /// Offers a live packet (producer thread only). Returns true when the packet was dropped for this subscriber.
    /// </summary>
    /// <param name="packet">The published packet; a reference is added only if it is queued.</param>
    /// <param name="resumePoint">The packet starts a keyframe access unit on a video track with keyframes.</param>
    /// <param name="hasKeyframeVideo">The stream has such a track, so skipping waits for a resume point.</param>
    internal bool Offer(RelayPacket packet, bool resumePoint, bool hasKeyframeVideo)
    {
        if (IsClosed)
        {
            return false;
        }

        if (_skipping && hasKeyframeVideo && !resumePoint)
        {
            Interlocked.Increment(ref _dropped);
            return true;
        }

        packet.AddRef();
        if (_queue.Writer.TryWrite(packet))
        {
            _skipping = false;
            return false;
        }

        packet.Release();
        if (IsClosed)
        {
            // Closed between the check and the write: not a drop.
            return false;
        }

        Interlocked.Increment(ref _dropped);
        _skipping = true;
        return true;
    }

    /// <summary>
    /// The stream has a discontinuity (the camera reconnected): deliver nothing more until the next
    /// keyframe, so the player resumes on a decodable picture instead of references to a lost one.
    /// </summary>
    internal void SkipToNextKeyframe() => _skipping = true;

    /// <summary>Closes with a reason (the first reason wins) and releases every queued packet.</summary>
    internal void Close(string reason)
    {
        if (Interlocked.CompareExchange(ref _closeReason, reason, null) is not null)
        {
            return;
        }

        // After completion no write can succeed, so draining now releases everything the producer queued.
        _queue.Writer.TryComplete();
        while (_queue.Reader.TryRead(out RelayPacket? packet))
        {
            packet.Release();
        }
    }
}
