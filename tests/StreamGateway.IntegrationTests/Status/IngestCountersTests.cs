using StreamGateway.Ingest;

namespace StreamGateway.IntegrationTests.Status;

/// <summary>
/// The moving rates behind the status API, on a clock the test moves. (They live here because the
/// ingest's counting methods are internal and this project sees the ingest's internals.)
/// </summary>
public sealed class IngestCountersTests
{
    /// <summary>Feeds <paramref name="seconds"/> of a stream: per second, <paramref name="fps"/> frames of <paramref name="frameBytes"/>.</summary>
    private static void Feed(IngestCounters counters, SteppingClock clock, int seconds, int fps, int frameBytes)
    {
        for (var s = 0; s < seconds; s++)
        {
            for (var f = 0; f < fps; f++)
            {
                counters.CountPacket(frameBytes);
                counters.CountFrame();
                clock.Advance(TimeSpan.FromSeconds(1.0 / fps));
            }
        }
    }

    [Theory]
    [InlineData(10, 25, 1000, 25.0, 200_000.0)]
    [InlineData(10, 30, 500, 30.0, 120_000.0)]
    [InlineData(5, 12, 2000, 12.0, 192_000.0)]
    [InlineData(3, 25, 1000, 25.0, 200_000.0)]
    public void Rates_average_the_last_whole_seconds(int seconds, int fps, int frameBytes, double expectedFps, double expectedBits)
    {
        var clock = new SteppingClock(startSeconds: 1000.5);
        var counters = new IngestCounters(clock);

        Feed(counters, clock, seconds, fps, frameBytes);
        var rates = counters.GetRates();

        Assert.InRange(rates.FramesPerSecond, expectedFps * 0.95, expectedFps * 1.05);
        Assert.InRange(rates.BitsPerSecond, expectedBits * 0.95, expectedBits * 1.05);
        Assert.Equal(seconds * fps, counters.Frames);
        Assert.Equal(seconds * fps * (long)frameBytes, counters.Bytes);
    }

    [Fact]
    public void Rates_fall_to_zero_once_the_window_has_passed_without_media()
    {
        var clock = new SteppingClock(startSeconds: 50);
        var counters = new IngestCounters(clock);
        Feed(counters, clock, 5, 25, 1000);

        clock.Advance(TimeSpan.FromSeconds(2.5));
        var fading = counters.GetRates();
        clock.Advance(TimeSpan.FromSeconds(IngestCounters.RateWindowSeconds + 1));
        var gone = counters.GetRates();

        Assert.InRange(fading.FramesPerSecond, 5, 20);
        Assert.Equal(default, gone);
    }

    [Fact]
    public void Rates_read_zero_before_any_media()
    {
        var clock = new SteppingClock(startSeconds: 10);
        var counters = new IngestCounters(clock);
        clock.Advance(TimeSpan.FromSeconds(30));

        Assert.Equal(default, counters.GetRates());
        Assert.Null(counters.LastKeyframeAge);
    }

    [Fact]
    public void A_keyframe_counts_once_per_access_unit_and_its_age_follows_the_clock()
    {
        var clock = new SteppingClock(startSeconds: 10);
        var counters = new IngestCounters(clock);

        counters.CountKeyframe(rtpTimestamp: 9000); // SPS
        counters.CountKeyframe(rtpTimestamp: 9000); // PPS
        counters.CountKeyframe(rtpTimestamp: 9000); // IDR
        clock.Advance(TimeSpan.FromSeconds(1));
        counters.CountKeyframe(rtpTimestamp: 99000);
        clock.Advance(TimeSpan.FromMilliseconds(400));

        Assert.Equal(2, counters.Keyframes);
        Assert.Equal(TimeSpan.FromMilliseconds(400), counters.LastKeyframeAge);
    }

    /// <summary>A monotonic clock in ticks that moves only when told.</summary>
    private sealed class SteppingClock(double startSeconds) : TimeProvider
    {
        private long _ticks = (long)(startSeconds * TimeSpan.TicksPerSecond);

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public override DateTimeOffset GetUtcNow() => DateTimeOffset.UnixEpoch.AddTicks(_ticks);

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
