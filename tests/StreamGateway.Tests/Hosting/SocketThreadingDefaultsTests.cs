using StreamGateway.Publish;

namespace StreamGateway.Tests.Hosting;

public class SocketThreadingDefaultsTests
{
    [Theory]
    [InlineData(1, "1")]
    [InlineData(2, "1")]
    [InlineData(8, "4")]
    public void Unset_it_turns_inline_completions_on_and_runs_one_socket_engine_per_two_cores(int cores, string engines)
    {
        var environment = new Dictionary<string, string>();

        SocketThreadingDefaults.Apply(environment.GetValueOrDefault, (key, value) => environment[key] = value, cores);

        Assert.Equal("1", environment[SocketThreadingDefaults.InlineCompletions]);
        Assert.Equal(engines, environment[SocketThreadingDefaults.EngineThreads]);
    }

    [Fact]
    public void An_operators_own_values_win()
    {
        var environment = new Dictionary<string, string>
        {
            [SocketThreadingDefaults.InlineCompletions] = "0",
            [SocketThreadingDefaults.EngineThreads] = "3",
        };

        SocketThreadingDefaults.Apply(environment.GetValueOrDefault, (key, value) => environment[key] = value, 8);

        Assert.Equal("0", environment[SocketThreadingDefaults.InlineCompletions]);
        Assert.Equal("3", environment[SocketThreadingDefaults.EngineThreads]);
    }
}
