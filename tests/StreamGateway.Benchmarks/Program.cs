using System.Globalization;
using BenchmarkDotNet.Running;

namespace StreamGateway.Benchmarks;

/// <summary>
/// Entry point: scripts/bench-micro.sh runs <c>dotnet run -c Release -- --filter '*'</c> (each class carries
/// <see cref="MicroConfig"/>); <c>--alloc-profile [viewers]</c> samples what the whole path allocates.
/// </summary>
public static class Program
{
    public static void Main(string[] args)
    {
        // The gateway's socket threading, for the whole-path rig (before the first socket; child processes inherit it).
        StreamGateway.Publish.SocketThreadingDefaults.Apply();
        if (args.Length > 0 && args[0] == "--alloc-profile")
        {
            AllocationProfile.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10);
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
