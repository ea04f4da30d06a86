using SharpFuzz;
using StreamGateway.Protocols.Tests.Fuzz;

// AFL++ harness for the Protocols parsers (see docs/fuzzing.md; scripts/fuzz.sh drives it).
//   StreamGateway.Fuzz <target>                      run under afl-fuzz (input on stdin, SharpFuzz out-of-process mode)
//   StreamGateway.Fuzz replay <target> <file|dir>... run inputs once each, print any exception, exit 1 if one threw
//   StreamGateway.Fuzz seeds <camera-dir> <out-dir>  write seeds from tests/testdata/cameras to <out-dir>/<target>/
//   StreamGateway.Fuzz list                          print the target names
if (args.Length == 0)
{
    return Usage();
}

switch (args[0])
{
    case "list":
        foreach (var name in FuzzTargets.All.Keys)
        {
            Console.WriteLine(name);
        }

        return 0;

    case "seeds" when args.Length == 3:
        var count = FuzzSeeds.Write(args[1], args[2]);
        Console.WriteLine($"wrote {count} seeds to {args[2]}");
        return 0;

    case "replay" when args.Length >= 3 && FuzzTargets.All.ContainsKey(args[1]):
        return Replay(args[1], args[2..]);

    default:
        if (args.Length != 1 || !FuzzTargets.All.TryGetValue(args[0], out var target))
        {
            return Usage();
        }

        // Out-of-process: a hang (-t) or a process-killing failure restarts the child instead of ending the run.
        Fuzzer.OutOfProcess.Run(stream =>
        {
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            target(buffer.ToArray());
        });
        return 0;
}

static int Replay(string target, string[] paths)
{
    var files = paths.SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p).Order(StringComparer.Ordinal) : new[] { p }.AsEnumerable()).ToList();
    var failed = 0;
    foreach (var file in files)
    {
        try
        {
            FuzzTargets.Run(target, File.ReadAllBytes(file));
            Console.WriteLine($"ok    {file}");
        }
        catch (Exception e)
        {
            failed++;
            Console.WriteLine($"CRASH {file}");
            Console.WriteLine(e.ToString());
        }
    }

    Console.WriteLine($"{target}: {files.Count} inputs, {failed} threw");
    return failed == 0 ? 0 : 1;
}

static int Usage()
{
    Console.Error.WriteLine("usage: StreamGateway.Fuzz <target> | replay <target> <file|dir>... | seeds <camera-dir> <out-dir> | list");
    Console.Error.WriteLine("targets: " + string.Join(", ", FuzzTargets.All.Keys));
    return 2;
}
