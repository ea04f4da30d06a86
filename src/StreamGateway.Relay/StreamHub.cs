using StreamGateway.Protocols.Sdp;

namespace StreamGateway.Relay;

/// <summary>
/// Fan-out point of one camera path: the ingest publishes packets, every subscriber gets them by reference.
/// </summary>
/// <remarks>
/// Threading: one producer at a time calls <see cref="Publish"/> (overlapping calls stay memory-safe, without leaks
/// or double releases, but may reorder the overlapping packets); everything else may be called from any thread.
/// <see cref="Publish"/> holds the hub lock only to update the GOP cache and read the subscriber snapshot
/// (an immutable array swapped on subscribe and unsubscribe); the fan-out itself runs outside the lock and never
/// waits for a subscriber. Events are raised outside the lock, on the thread that caused the change.
/// </remarks>
public sealed class StreamHub : IDisposable
{
    private static readonly Subscription[] NoSubscribers = [];

    private readonly Lock _gate = new();
    private readonly RelayOptions _options;
    private readonly GopCache _cache;
    private readonly TaskCompletionSource<bool> _tracksKnown = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private volatile Subscription[] _subscribers = NoSubscribers;
    private volatile TrackModel? _model;
    private KeyframeState[] _keyframeStates = [];
    private int _demandHandles;
    private bool _disposed;

    // Written under _gate by the producer; read under _gate by GetStats.
    private long _packetsPublished;
    private long _bytesPublished;
    private long _keyframes;
    private long _dropped;

    /// <param name="path">The camera path (<c>school/camera</c>).</param>
    /// <param name="options">Limits; defaults when null.</param>
    /// <param name="pool">Packet pool the ingest rents from; <see cref="RelayPacketPool.Shared"/> when null.</param>
    public StreamHub(string path, RelayOptions? options = null, RelayPacketPool? pool = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= new RelayOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.SubscriberQueueCapacity, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.GopCacheMaxPackets, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.GopCacheMaxBytes, 1L, nameof(options));
        Path = path;
        _options = options;
        Pool = pool ?? RelayPacketPool.Shared;
        _cache = new GopCache(options.GopCacheMaxPackets, options.GopCacheMaxBytes);
    }

    /// <summary>The camera path this hub serves.</summary>
    public string Path { get; }

    /// <summary>The pool the ingest should rent this hub's packets from.</summary>
    public RelayPacketPool Pool { get; }

    /// <summary>The relayed tracks; null until a camera session has described the media. Kept while the camera is away.</summary>
    public IReadOnlyList<TrackDescription>? Tracks => _model?.Tracks;

    /// <summary>Raised after <see cref="Tracks"/> changed.</summary>
    public event Action<StreamHub>? TracksChanged;

    /// <summary>Raised after <see cref="DemandCount"/> changed.</summary>
    public event Action<StreamHub>? DemandChanged;

    /// <summary>Open subscriptions.</summary>
    public int SubscriberCount => _subscribers.Length;

    /// <summary>A snapshot of the live subscriptions (for status and metrics).</summary>
    public IReadOnlyList<Subscription> Subscriptions => _subscribers;

    /// <summary>Active demand handles plus open subscriptions.</summary>
    public int DemandCount => Volatile.Read(ref _demandHandles) + _subscribers.Length;

    /// <summary>
    /// The camera (re)connected and described its media. Same tracks (record equality, in order): nothing happens
    /// to subscribers. Different tracks: every subscription closes with <see cref="SubscriptionCloseReasons.MediaChanged"/>
    /// and the GOP cache is cleared. The first tracks of a hub close nobody.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The hub was disposed.</exception>
    public void SetTracks(IReadOnlyList<TrackDescription> tracks)
    {
        ArgumentNullException.ThrowIfNull(tracks);
        TrackDescription[] copy = [.. tracks];
        foreach (TrackDescription track in copy)
        {
            ArgumentNullException.ThrowIfNull(track, nameof(tracks));
        }

        Subscription[] closed = NoSubscribers;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            TrackModel? current = _model;
            if (current is not null && current.Tracks.SequenceEqual(copy))
            {
                return;
            }

            _model = new TrackModel(copy);
            _keyframeStates = new KeyframeState[copy.Length];
            _cache.Reset();
            if (current is not null)
            {
                closed = _subscribers;
                _subscribers = NoSubscribers;
            }
        }

        foreach (Subscription subscription in closed)
        {
            subscription.Close(SubscriptionCloseReasons.MediaChanged);
        }

        _tracksKnown.TrySetResult(true);
        TracksChanged?.Invoke(this);
        if (closed.Length > 0)
        {
            DemandChanged?.Invoke(this);
        }
    }

    /// <summary>
    /// The camera was lost. <see cref="Tracks"/> stays as is so viewers ride through a reconnect; the GOP cache is
    /// cleared (its keyframe is stale) and subscriptions stay open, resuming at the next keyframe.
    /// </summary>
    public void ClearTracks()
    {
        lock (_gate)
        {
            _cache.Reset();
            Array.Clear(_keyframeStates);
            foreach (var subscription in _subscribers)
            {
                subscription.SkipToNextKeyframe();
            }
        }
    }

    /// <summary>True at once when <see cref="Tracks"/> is known; otherwise waits for <see cref="SetTracks"/>.
    /// False on timeout or when the hub is disposed; throws <see cref="OperationCanceledException"/> on cancellation.</summary>
    public async Task<bool> WaitForTracksAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_model is not null)
        {
            return true;
        }

        try
        {
            return await _tracksKnown.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return _model is not null;
        }
    }

    /// <summary>
    /// Fans a packet out to every subscriber and the GOP cache. Does not take the caller's reference: it adds one
    /// per queue or cache that keeps the packet, and the caller releases its own afterwards. Never blocks on a
    /// subscriber. Ignored after <see cref="Dispose"/>. Single producer only.
    /// </summary>
    public void Publish(RelayPacket packet) => Publish(packet, wakeSubscribers: true);

    /// <summary>
    /// Like <see cref="Publish(RelayPacket)"/>; with <paramref name="wakeSubscribers"/> false the packet is queued
    /// without waking the readers, and the producer calls <see cref="WakeSubscribers"/> after its burst (for example
    /// after every interleaved frame of one socket read). A video frame is often ten packets that arrive together:
    /// one wake-up and one send per viewer for all of them instead of ten.
    /// </summary>
    public void Publish(RelayPacket packet, bool wakeSubscribers)
    {
        ArgumentNullException.ThrowIfNull(packet);
        Subscription[] subscribers;
        bool resumePoint;
        bool hasKeyframeVideo;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _packetsPublished++;
            _bytesPublished += packet.Length;
            resumePoint = TrackAndCache(packet, out hasKeyframeVideo);
            subscribers = _subscribers;
        }

        int drops = 0;
        foreach (Subscription subscription in subscribers)
        {
            if (subscription.Offer(packet, resumePoint, hasKeyframeVideo, wakeSubscribers))
            {
                drops++;
            }
        }

        if (drops > 0)
        {
            Interlocked.Add(ref _dropped, drops);
        }
    }

    /// <summary>Wakes every reader that has packets queued by <see cref="Publish(RelayPacket, bool)"/> without a wake-up.</summary>
    public void WakeSubscribers()
    {
        foreach (Subscription subscription in _subscribers)
        {
            subscription.Wake();
        }
    }

    /// <summary>
    /// Opens a subscription that first yields the GOP cache, then live packets. Atomic with respect to
    /// <see cref="Publish"/>: each packet is delivered either from the cache or live, never both, never neither.
    /// </summary>
    /// <param name="subscriberName">Who subscribes (logs and status).</param>
    /// <param name="readerRunsInline">
    /// The reader only does quick non-blocking work when woken (a viewer's socket send that either completes or
    /// pends): wake it on the producer's thread instead of the thread pool. Never for readers that touch disks or
    /// block (the recorder, anything that may wait on host code), since that would stall the camera's read loop.
    /// </param>
    /// <exception cref="ObjectDisposedException">The hub was disposed.</exception>
    public Subscription Subscribe(string subscriberName, bool readerRunsInline = false)
    {
        ArgumentNullException.ThrowIfNull(subscriberName);
        Subscription subscription;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);

            // Room for the whole cache plus the usual live backlog, so a newcomer's first keyframe is never dropped.
            subscription = new Subscription(this, subscriberName, _options.SubscriberQueueCapacity + _cache.Count, readerRunsInline);
            _cache.CopyTo(subscription);
            if (_cache.Count == 0 && _model is { CacheTrack: >= 0 })
            {
                // No keyframe to start from yet (camera just connected, or the cache overflowed):
                // frames before the next keyframe would reference pictures this viewer never got.
                subscription.SkipToNextKeyframe();
            }

            _subscribers = [.. _subscribers, subscription];
        }

        DemandChanged?.Invoke(this);
        return subscription;
    }

    /// <summary>Marks interest in the stream (for example a DESCRIBE of an on-demand camera) until disposed.</summary>
    /// <exception cref="ObjectDisposedException">The hub was disposed.</exception>
    public IDisposable AcquireDemand()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _demandHandles++;
        }

        DemandChanged?.Invoke(this);
        return new DemandHandle(this);
    }

    /// <summary>Counters at this moment.</summary>
    public RelayStats GetStats()
    {
        lock (_gate)
        {
            return new RelayStats(
                _packetsPublished,
                _bytesPublished,
                _keyframes,
                _cache.Count,
                _cache.Bytes,
                _subscribers.Length,
                Interlocked.Read(ref _dropped));
        }
    }

    /// <summary>Closes every subscription with <see cref="SubscriptionCloseReasons.StreamRemoved"/> and releases the cache.</summary>
    public void Dispose()
    {
        Subscription[] closed;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            closed = _subscribers;
            _subscribers = NoSubscribers;
            _cache.Reset();
        }

        foreach (Subscription subscription in closed)
        {
            subscription.Close(SubscriptionCloseReasons.StreamRemoved);
        }

        _tracksKnown.TrySetResult(false);
        if (closed.Length > 0)
        {
            DemandChanged?.Invoke(this);
        }
    }

    public override string ToString() => $"StreamHub {Path}";

    internal void Unsubscribe(Subscription subscription)
    {
        lock (_gate)
        {
            Subscription[] current = _subscribers;
            int index = Array.IndexOf(current, subscription);
            if (index < 0)
            {
                return;
            }

            var next = new Subscription[current.Length - 1];
            Array.Copy(current, 0, next, 0, index);
            Array.Copy(current, index + 1, next, index, current.Length - index - 1);
            _subscribers = next;
        }

        DemandChanged?.Invoke(this);
    }

    private void ReleaseDemand()
    {
        Interlocked.Decrement(ref _demandHandles);
        DemandChanged?.Invoke(this);
    }

    /// <summary>
    /// Under the lock: finds whether the packet starts a keyframe access unit and keeps the GOP cache.
    /// Returns true for a resume point (first packet of a keyframe access unit on a video track with keyframes).
    /// </summary>
    private bool TrackAndCache(RelayPacket packet, out bool hasKeyframeVideo)
    {
        TrackModel? model = _model;
        hasKeyframeVideo = model is not null && model.CacheTrack >= 0;
        if (model is null || packet.IsRtcp)
        {
            return false;
        }

        bool accessUnitStart = false;
        int track = packet.TrackIndex;
        if ((uint)track < (uint)model.KeyframeTracks.Length && model.KeyframeTracks[track])
        {
            // An access unit may span several keyframe-start packets (SPS, PPS, IDR slices) with one timestamp:
            // only the first starts it. A repeat of the same timestamp starts a new one only after the track
            // has moved on to another timestamp in between.
            ref KeyframeState state = ref _keyframeStates[track];
            if (packet.IsKeyframeStart)
            {
                accessUnitStart = !state.HasKeyframe || state.KeyframeTimestamp != packet.RtpTimestamp || state.MovedOn;
                state.HasKeyframe = true;
                state.KeyframeTimestamp = packet.RtpTimestamp;
                state.MovedOn = false;
            }
            else if (state.HasKeyframe && packet.RtpTimestamp != state.KeyframeTimestamp)
            {
                state.MovedOn = true;
            }

            if (accessUnitStart)
            {
                _keyframes++;
                if (track == model.CacheTrack && _options.GopCacheEnabled)
                {
                    _cache.Restart();
                }
            }
        }

        if (model.CacheTrack >= 0)
        {
            _cache.Add(packet);
        }

        return accessUnitStart;
    }

    /// <summary>Immutable view of the tracks, swapped as a whole.</summary>
    private sealed class TrackModel
    {
        public TrackModel(TrackDescription[] tracks)
        {
            Tracks = Array.AsReadOnly(tracks);
            KeyframeTracks = new bool[tracks.Length];
            CacheTrack = -1;
            for (int i = 0; i < tracks.Length; i++)
            {
                KeyframeTracks[i] = tracks[i].Kind == MediaKind.Video && tracks[i].IsVideoWithKeyframes;
                if (KeyframeTracks[i] && CacheTrack < 0)
                {
                    CacheTrack = i;
                }
            }
        }

        public IReadOnlyList<TrackDescription> Tracks { get; }

        /// <summary>Per position: a video track whose packets carry keyframes.</summary>
        public bool[] KeyframeTracks { get; }

        /// <summary>The first video track with keyframes, whose keyframes reset the GOP cache; -1 for none.</summary>
        public int CacheTrack { get; }
    }

    private struct KeyframeState
    {
        public bool HasKeyframe;
        public uint KeyframeTimestamp;
        public bool MovedOn;
    }

    private sealed class DemandHandle(StreamHub hub) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                hub.ReleaseDemand();
            }
        }
    }
}
