using Microsoft.Extensions.Logging.Abstractions;
using StreamGateway.Audit;
using StreamGateway.Cli;

namespace StreamGateway.Tests.Audit;

public sealed class AuditTrailTests : IDisposable
{
    private static readonly DateTimeOffset Day = new(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "sg-audit-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static AuditEntry Entry(int i, string school = "school-12", DateTimeOffset? end = null) => new()
    {
        Kind = AuditEntry.ViewKind,
        User = "rop-dispatcher",
        Destination = "lisakovsk-rop",
        Client = "10.1.2.3:5000",
        School = school,
        Camera = "cam" + i,
        Start = (end ?? Day.AddMinutes(i)).AddMinutes(-1),
        End = end ?? Day.AddMinutes(i),
        Bytes = 1000 + i,
        Ended = "teardown",
    };

    /// <summary>Writes entries through the real writer and waits (bounded) until they are on disk.</summary>
    private async Task WriteAsync(params AuditEntry[] entries)
    {
        var log = AuditLog.Open(_directory, NullLoggerFactory.Instance);
        await using (log)
        {
            foreach (var entry in entries)
            {
                Assert.True(log.Record(entry));
            }
        }

        Assert.Equal(entries.Length, log.Written);
    }

    private string OnlyFile() => Assert.Single(AuditFiles.List(_directory));

    [Fact]
    public async Task A_written_trail_verifies_and_links_each_line_to_the_one_before()
    {
        await WriteAsync(Entry(1), Entry(2), Entry(3));

        var result = AuditFiles.Verify(_directory);

        Assert.True(result.IsValid, result.Problem);
        Assert.Equal(3, result.ValidLines);
        var lines = File.ReadAllLines(OnlyFile());
        Assert.StartsWith("{\"seq\":1,\"line\":1,\"kind\":\"view\",\"user\":\"rop-dispatcher\",\"destination\":\"lisakovsk-rop\"", lines[0], StringComparison.Ordinal);
        Assert.Contains("\"prev\":\"" + AuditChain.Genesis + "\"", lines[0], StringComparison.Ordinal);
        Assert.True(AuditChain.TryCheck(lines[0], out _, out var firstHash, out _));
        Assert.Contains("\"prev\":\"" + firstHash + "\"", lines[1], StringComparison.Ordinal);
    }

    public static TheoryData<string, string, int> Tampering => new()
    {
        { "bytes of line 2 edited", "edit", 2 },
        { "line 2 deleted", "delete", 2 },
        { "line 1 deleted", "delete-first", 1 },
        { "lines 2 and 3 swapped", "swap", 2 },
        { "line 2 edited and its hash recomputed", "rehash", 3 },
        { "a line inserted before line 3", "insert", 3 },
        { "line 3 cut short", "truncate", 3 },
    };

    [Theory]
    [MemberData(nameof(Tampering))]
    public async Task Names_the_first_line_that_was_tampered_with(string name, string how, int expectedLine)
    {
        await WriteAsync(Entry(1), Entry(2), Entry(3), Entry(4));
        var file = OnlyFile();
        var lines = File.ReadAllLines(file).ToList();
        switch (how)
        {
            case "edit":
                lines[1] = lines[1].Replace("\"bytes\":1002", "\"bytes\":9002", StringComparison.Ordinal);
                break;
            case "delete":
                lines.RemoveAt(1);
                break;
            case "delete-first":
                lines.RemoveAt(0);
                break;
            case "swap":
                (lines[1], lines[2]) = (lines[2], lines[1]);
                break;
            case "rehash":
                // A forger who knows the format rebuilds line 2's hash: line 3 no longer links to it.
                Assert.True(AuditChain.TryCheck(lines[1], out _, out _, out var content));
                Assert.True(AuditChain.TryReadLinks(content, out var seq, out var line, out var prev));
                var forged = Entry(2) with { User = "someone-else" };
                lines[1] = AuditChain.Format(forged, seq, line, prev, out _);
                break;
            case "insert":
                lines.Insert(2, lines[1]);
                break;
            case "truncate":
                lines[2] = lines[2][..^10];
                break;
        }

        File.WriteAllLines(file, lines);

        var result = AuditFiles.Verify(_directory);

        Assert.False(result.IsValid, name);
        Assert.Equal($"{Path.GetFileName(file)}:{expectedLine}", result.FirstBrokenLine);
    }

    [Fact]
    public async Task A_restarted_writer_continues_the_chain_from_the_last_line_on_disk()
    {
        await WriteAsync(Entry(1), Entry(2));
        await WriteAsync(Entry(3));

        var result = AuditFiles.Verify(_directory);

        Assert.True(result.IsValid, result.Problem);
        Assert.Equal(3, result.ValidLines);
        Assert.Contains("\"seq\":3,", File.ReadAllLines(OnlyFile())[2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Days_go_to_their_own_files_and_form_one_chain()
    {
        await WriteAsync(Entry(1), Entry(2, end: Day.AddDays(1)), Entry(3, end: Day.AddDays(2)));

        var files = AuditFiles.List(_directory).Select(Path.GetFileName).ToList();

        Assert.Equal(["audit-2026-11-27.jsonl", "audit-2026-11-28.jsonl", "audit-2026-11-29.jsonl"], files);
        Assert.True(AuditFiles.Verify(_directory).IsValid);

        // Retention removes whole days, oldest first: the rest still verifies.
        File.Delete(AuditFiles.List(_directory)[0]);
        Assert.True(AuditFiles.Verify(_directory).IsValid);

        // Removing a day in the middle is detected.
        await WriteAsync(Entry(4, end: Day.AddDays(3)));
        File.Delete(AuditFiles.List(_directory)[1]);
        Assert.False(AuditFiles.Verify(_directory).IsValid);
    }

    [Fact]
    public async Task Query_lists_the_sessions_of_a_school_that_overlap_a_time_range()
    {
        await WriteAsync(Entry(1), Entry(5, "school-3"), Entry(10), Entry(30));

        var found = AuditFiles.Query(_directory, "school-12", Day.AddMinutes(4), Day.AddMinutes(12));

        Assert.Equal(["cam10"], found.Select(r => r.Camera));
        Assert.Equal(("rop-dispatcher", "lisakovsk-rop", 1010L), (found[0].User, found[0].Destination, found[0].Bytes));
        Assert.Equal(4, AuditFiles.Query(_directory, null, null, null).Count);
    }

    [Fact]
    public async Task The_command_line_verifies_names_the_broken_line_and_queries()
    {
        await WriteAsync(Entry(1), Entry(2), Entry(3));
        var file = OnlyFile();

        var (okCode, okOut, _) = Run("audit", "verify", _directory);
        var (queryCode, queryOut, _) = Run("audit", "query", "--path", file, "--school", "school-12", "--from", "2026-11-27T10:01:30Z", "--to", "2026-11-27T10:02:30Z");
        var lines = File.ReadAllLines(file);
        lines[0] = lines[0].Replace("rop-dispatcher", "rop-dispatchez", StringComparison.Ordinal);
        File.WriteAllLines(file, lines);
        var (badCode, _, badErr) = Run("audit", "verify", file);

        Assert.Equal((0, 0, 1), (okCode, queryCode, badCode));
        Assert.Contains("intact (3 lines)", okOut, StringComparison.Ordinal);
        Assert.Contains("\"Camera\":\"cam2\"", queryOut, StringComparison.Ordinal);
        Assert.Equal(2, queryOut.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains($"BROKEN at {Path.GetFileName(file)}:1", badErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_torn_last_line_is_named_by_verify_and_the_writer_goes_on_after_it()
    {
        await WriteAsync(Entry(1));
        File.AppendAllText(OnlyFile(), "{\"seq\":2,\"kind\":\"vi");

        await WriteAsync(Entry(2));

        var result = AuditFiles.Verify(_directory);
        Assert.False(result.IsValid);
        Assert.EndsWith(":2", result.FirstBrokenLine, StringComparison.Ordinal);
        Assert.Equal(3, File.ReadAllLines(OnlyFile()).Length);
    }

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = GatewayCommandLine.AuditCommand(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
