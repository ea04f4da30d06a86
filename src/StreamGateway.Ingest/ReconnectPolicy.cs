using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace StreamGateway.Ingest;

/// <summary>The reconnect figures of one camera, built by the host from validated config.</summary>
public sealed record ReconnectPolicy
{
    public TimeSpan FastRetryInterval { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan FastRetryWindow { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// The delays between connect attempts of one outage: about <see cref="ReconnectPolicy.FastRetryInterval"/>
/// (jittered down to half of it, so cameras failing together do not retry in step) while the outage
/// is younger than <see cref="ReconnectPolicy.FastRetryWindow"/>, then doubling with equal jitter up
/// to <see cref="ReconnectPolicy.MaxDelay"/>. Never gives up.
/// </summary>
internal sealed class ReconnectSchedule
{
    private readonly ReconnectPolicy _policy;
    private readonly TimeProvider _time;
    private readonly Func<double> _random;
    private long _outageStartedAt;
    private int _slowAttempts;

    public ReconnectSchedule(ReconnectPolicy policy, TimeProvider time, Func<double>? random = null)
    {
        _policy = policy;
        _time = time;
        _random = random ?? Random.Shared.NextDouble;
        _outageStartedAt = time.GetTimestamp();
    }

    /// <summary>A new outage begins (the stream just ended, or the connector started).</summary>
    public void StartOutage()
    {
        _outageStartedAt = _time.GetTimestamp();
        _slowAttempts = 0;
    }

    /// <summary>How long the current outage has lasted.</summary>
    public TimeSpan OutageDuration => _time.GetElapsedTime(_outageStartedAt);

    /// <summary>A random pause before the first attempt of an outage, so a gateway-wide blip does not reconnect every camera at once.</summary>
    public TimeSpan FirstAttemptJitter() => _policy.FastRetryInterval * (0.5 * _random());

    public TimeSpan NextDelay()
    {
        if (OutageDuration < _policy.FastRetryWindow)
        {
            return _policy.FastRetryInterval * (0.5 + (0.5 * _random()));
        }

        var exponential = _policy.FastRetryInterval.TotalSeconds * Math.Pow(2, Math.Min(++_slowAttempts, 20));
        var capped = Math.Min(exponential, _policy.MaxDelay.TotalSeconds);
        return TimeSpan.FromSeconds((capped / 2) + (_random() * capped / 2));
    }

    /// <summary>
    /// The retry pipeline around connect attempts: never gives up and takes its delays from this
    /// schedule. Cancellation stops it; every other failure (including an attempt's timeout) retries.
    /// </summary>
    public ResiliencePipeline BuildRetryPipeline(Func<OnRetryArguments<object>, ValueTask> onRetry) =>
        new ResiliencePipelineBuilder { TimeProvider = _time }
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = int.MaxValue,
                ShouldHandle = new PredicateBuilder().Handle<Exception>(ex => ex is not OperationCanceledException),
                DelayGenerator = _ => new ValueTask<TimeSpan?>(NextDelay()),
                OnRetry = onRetry,
            })
            .Build();

    /// <summary>The timeout of one attempt (connect, DESCRIBE, SETUP, PLAY, first media); it surfaces as <see cref="TimeoutRejectedException"/>.</summary>
    public static ResiliencePipeline BuildAttemptPipeline(TimeSpan attemptTimeout, TimeProvider time) =>
        new ResiliencePipelineBuilder { TimeProvider = time }
            .AddTimeout(new TimeoutStrategyOptions { Timeout = attemptTimeout })
            .Build();
}
