using Microsoft.Extensions.Logging;
using StreamGateway.Demo;
using StreamGateway.IntegrationTests.Publish;
using StreamGateway.Relay;

namespace StreamGateway.IntegrationTests.Push;

/// <summary>
/// A camera hub with its own packet pool, fed like the ingest feeds one: the demo clip's replay camera is read
/// through a subscription and every packet is copied once into <see cref="Pool"/> and published to <see cref="Hub"/>.
/// After disposal <c>Pool.Outstanding</c> must be 0, so a push that forgets a release fails the test.
/// </summary>
internal sealed class PushedCamera : IAsyncDisposable
{
    public const string Path = "school-12/gate";

    private readonly ReplayCamera _replay;
    private readonly Subscription _source;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pump;
    private long _published;
    private bool _paused;
    private int _disposed;

    private PushedCamera(ReplayCamera replay, ILoggerFactory loggerFactory, PublishLogs logs)
    {
        _replay = replay;
        LoggerFactory = loggerFactory;
        Logs = logs;
        Hub = new StreamHub(Path, pool: Pool);
        Hub.SetTracks(replay.Hub.Tracks!);
        _source = replay.Hub.Subscribe("pushed-camera");
        _pump = Task.Run(PumpAsync);
    }

    public RelayPacketPool Pool { get; } = new();

    public StreamHub Hub { get; }

    /// <summary>The log lines of everything created with <see cref="LoggerFactory"/>.</summary>
    public PublishLogs Logs { get; }

    public ILoggerFactory LoggerFactory { get; }

    /// <summary>Packets published into <see cref="Hub"/> so far.</summary>
    public long Published => Interlocked.Read(ref _published);

    /// <summary>While true, packets are not forwarded (the camera is "offline").</summary>
    public bool Paused
    {
        get => Volatile.Read(ref _paused);
        set => Volatile.Write(ref _paused, value);
    }

    public static async Task<PushedCamera> StartAsync()
    {
        var logs = new PublishLogs();
        var factory = Microsoft.Extensions.Logging.LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        var replay = ReplayCamera.FromAnnexBFile(ServedReplay.ClipPath, "replay/source", loggerFactory: factory);
        await replay.StartAsync(CancellationToken.None);
        return new PushedCamera(replay, factory, logs);
    }

    private async Task PumpAsync()
    {
        try
        {
            while (await _source.WaitToReadAsync(_stop.Token))
            {
                while (_source.TryRead(out var packet))
                {
                    try
                    {
                        if (Paused)
                        {
                            continue;
                        }

                        var copy = Pool.Rent(packet.Length);
                        packet.Data.CopyTo(copy.Buffer);
                        copy.Length = packet.Length;
                        copy.TrackIndex = packet.TrackIndex;
                        copy.IsRtcp = packet.IsRtcp;
                        copy.IsKeyframeStart = packet.IsKeyframeStart;
                        copy.RtpTimestamp = packet.RtpTimestamp;
                        copy.ReceivedAt = packet.ReceivedAt;
                        Hub.Publish(copy);
                        copy.Release();
                        Interlocked.Increment(ref _published);
                    }
                    finally
                    {
                        packet.Release();
                    }
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync();
        await _pump.WaitAsync(TimeSpan.FromSeconds(10));
        _source.Dispose();
        Hub.Dispose();
        await _replay.DisposeAsync();
        LoggerFactory.Dispose();
        _stop.Dispose();
    }
}
