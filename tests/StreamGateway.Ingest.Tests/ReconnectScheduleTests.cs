using Microsoft.Extensions.Time.Testing;

namespace StreamGateway.Ingest.Tests;

public sealed class ReconnectScheduleTests
{
    private static readonly ReconnectPolicy Policy = new()
    {
        FastRetryInterval = TimeSpan.FromSeconds(1),
        FastRetryWindow = TimeSpan.FromSeconds(60),
        MaxDelay = TimeSpan.FromSeconds(60),
    };

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(0.999)]
    public void Retries_about_every_second_during_the_first_minute(double random)
    {
        var time = new FakeTimeProvider();
        var schedule = new ReconnectSchedule(Policy, time, () => random);
        schedule.StartOutage();

        for (var i = 0; i < 50; i++)
        {
            var delay = schedule.NextDelay();
            Assert.InRange(delay.TotalSeconds, 0.5, 1.0);
            time.Advance(delay);
        }
    }

    [Fact]
    public void Backs_off_exponentially_after_the_fast_window_up_to_the_cap()
    {
        var time = new FakeTimeProvider();
        var schedule = new ReconnectSchedule(Policy, time, () => 1.0);
        schedule.StartOutage();
        time.Advance(TimeSpan.FromSeconds(61));

        var delays = Enumerable.Range(0, 10).Select(_ => schedule.NextDelay().TotalSeconds).ToList();

        Assert.Equal([2, 4, 8, 16, 32, 60, 60, 60, 60, 60], delays);
    }

    [Fact]
    public void Jitter_spreads_the_back_off_between_half_and_all_of_it()
    {
        var time = new FakeTimeProvider();
        var low = new ReconnectSchedule(Policy, time, () => 0.0);
        low.StartOutage();
        time.Advance(TimeSpan.FromSeconds(61));

        Assert.Equal(1, low.NextDelay().TotalSeconds);
    }

    [Fact]
    public void A_new_outage_starts_fast_again()
    {
        var time = new FakeTimeProvider();
        var schedule = new ReconnectSchedule(Policy, time, () => 1.0);
        schedule.StartOutage();
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.True(schedule.NextDelay() > TimeSpan.FromSeconds(1));

        schedule.StartOutage();

        Assert.Equal(TimeSpan.FromSeconds(1), schedule.NextDelay());
    }

    [Fact]
    public void The_first_attempt_after_a_stream_ends_is_jittered_within_half_an_interval()
    {
        var schedule = new ReconnectSchedule(Policy, new FakeTimeProvider(), Random.Shared.NextDouble);

        var jitters = Enumerable.Range(0, 200).Select(_ => schedule.FirstAttemptJitter().TotalSeconds).ToList();

        Assert.All(jitters, j => Assert.InRange(j, 0, 0.5));
        Assert.True(jitters.Max() - jitters.Min() > 0.25, "200 cameras would reconnect in step");
    }

    [Fact]
    public async Task The_retry_pipeline_never_gives_up_and_waits_the_scheduled_delays()
    {
        var time = new FakeTimeProvider();
        var schedule = new ReconnectSchedule(Policy, time, () => 1.0);
        schedule.StartOutage();
        var retries = 0;
        var pipeline = schedule.BuildRetryPipeline(_ =>
        {
            retries++;
            return default;
        });
        var attempts = 0;

        var run = pipeline.ExecuteAsync(
            _ =>
            {
                attempts++;
                if (attempts < 200)
                {
                    throw new RtspClientException("camera unreachable");
                }

                return ValueTask.FromResult(attempts);
            },
            CancellationToken.None).AsTask();

        // Step the fake clock (bounded in steps and wall time); Polly arms each delay's timer on the
        // thread pool, so every step yields real time for that.
        var wall = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 20_000 && !run.IsCompleted && wall.Elapsed < TimeSpan.FromSeconds(60); i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(1);
        }

        Assert.True(run.IsCompleted, $"still retrying after {attempts} attempts");
        Assert.Equal(200, await run);
        Assert.Equal(199, retries);
    }
}
