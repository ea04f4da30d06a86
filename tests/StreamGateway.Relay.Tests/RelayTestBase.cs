using System.Buffers.Binary;
using StreamGateway.Protocols.Sdp;

namespace StreamGateway.Relay.Tests;

/// <summary>One published packet in a test script.</summary>
public sealed record Pkt(int Id, int Track, uint Ts, bool Kf = false, bool Rtcp = false, int Length = 100)
{
    public override string ToString() => $"{Id}:t{Track}@{Ts}{(Kf ? "K" : "")}{(Rtcp ? "R" : "")}";
}

/// <summary>
/// Every test gets its own leak-detecting pool; cleanup disposes every hub and subscription and then asserts
/// that no packet is still rented.
/// </summary>
public abstract class RelayTestBase : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    protected RelayPacketPool Pool { get; } = new();

    protected static TrackDescription H264(int index) => Track(index, MediaKind.Video, 96, "H264", 90000);

    protected static TrackDescription H265(int index) => Track(index, MediaKind.Video, 97, "H265", 90000);

    protected static TrackDescription Jpeg(int index) => Track(index, MediaKind.Video, 26, "JPEG", 90000);

    protected static TrackDescription Pcma(int index) => Track(index, MediaKind.Audio, 8, "PCMA", 8000);

    protected static TrackDescription Track(int index, MediaKind kind, byte payloadType, string encoding, int clockRate) => new()
    {
        Index = index,
        Kind = kind,
        PayloadType = payloadType,
        EncodingName = encoding,
        ClockRate = clockRate,
        ControlUrl = $"rtsp://camera.test/stream/trackID={index}",
    };

    /// <summary>
    /// Runs a racing party on a thread of its own: on a busy 2-core CI machine the thread pool may not start a queued
    /// task for a second or more, and a race whose other side never started proves nothing.
    /// </summary>
    protected static Task RunOnOwnThread(Action body) =>
        Task.Factory.StartNew(body, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    protected StreamHub CreateHub(RelayOptions? options = null, params TrackDescription[] tracks)
    {
        var hub = new StreamHub("school/camera", options, Pool);
        _owned.Add(hub);
        if (tracks.Length > 0)
        {
            hub.SetTracks(tracks);
        }

        return hub;
    }

    protected Subscription Subscribe(StreamHub hub, string name = "viewer")
    {
        Subscription subscription = hub.Subscribe(name);
        _owned.Add(subscription);
        return subscription;
    }

    /// <summary>Rents, fills (the id in the first 4 bytes), publishes and releases the caller's reference.</summary>
    protected void Publish(StreamHub hub, Pkt p)
    {
        RelayPacket packet = Rent(p);
        hub.Publish(packet);
        packet.Release();
    }

    protected void Publish(StreamHub hub, IEnumerable<Pkt> packets)
    {
        foreach (Pkt p in packets)
        {
            Publish(hub, p);
        }
    }

    protected RelayPacket Rent(Pkt p)
    {
        int length = Math.Max(p.Length, 4);
        RelayPacket packet = Pool.Rent(length);
        packet.Buffer.Span[..length].Clear();
        BinaryPrimitives.WriteInt32BigEndian(packet.Buffer.Span, p.Id);
        packet.Length = length;
        packet.TrackIndex = p.Track;
        packet.RtpTimestamp = p.Ts;
        packet.IsKeyframeStart = p.Kf;
        packet.IsRtcp = p.Rtcp;
        return packet;
    }

    protected static int IdOf(RelayPacket packet) => BinaryPrimitives.ReadInt32BigEndian(packet.Data.Span);

    /// <summary>Reads every queued packet, releasing each, and returns their ids in order.</summary>
    protected static List<int> Drain(Subscription subscription)
    {
        var ids = new List<int>();
        while (subscription.TryRead(out RelayPacket? packet))
        {
            ids.Add(IdOf(packet));
            packet.Release();
        }

        return ids;
    }

    public void Dispose()
    {
        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }

        Assert.Equal(0, Pool.Outstanding);
        GC.SuppressFinalize(this);
    }
}
