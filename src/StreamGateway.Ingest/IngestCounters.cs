namespace StreamGateway.Ingest;

/// <summary>Per-camera counters, written by the receive path without locks and read by status.</summary>
public sealed class IngestCounters
{
    private long _packets;
    private long _bytes;
    private long _malformed;
    private long _reconnects;

    public long Packets => Interlocked.Read(ref _packets);

    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>RTP/RTCP packets or frames that failed validation and were dropped.</summary>
    public long Malformed => Interlocked.Read(ref _malformed);

    /// <summary>Sessions started after the first one.</summary>
    public long Reconnects => Interlocked.Read(ref _reconnects);

    internal void CountPacket(int bytes)
    {
        Interlocked.Increment(ref _packets);
        Interlocked.Add(ref _bytes, bytes);
    }

    internal void CountMalformed() => Interlocked.Increment(ref _malformed);

    internal void CountReconnect() => Interlocked.Increment(ref _reconnects);
}
