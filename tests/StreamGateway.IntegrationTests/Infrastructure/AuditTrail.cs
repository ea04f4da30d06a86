using System.Diagnostics;
using StreamGateway.Audit;

namespace StreamGateway.IntegrationTests.Infrastructure;

/// <summary>Reads a gateway's audit trail as the tests wait for its background writer.</summary>
internal static class AuditTrail
{
    /// <summary>Polls the trail (bounded: 20 s, 200 reads) until <paramref name="done"/> holds; fails the test otherwise.</summary>
    public static async Task<IReadOnlyList<AuditRecord>> WaitForAsync(string directory, Func<IReadOnlyList<AuditRecord>, bool> done)
    {
        var clock = Stopwatch.StartNew();
        IReadOnlyList<AuditRecord> records = [];
        for (var attempt = 0; attempt < 200 && clock.Elapsed < TimeSpan.FromSeconds(20); attempt++)
        {
            records = Directory.Exists(directory) ? AuditFiles.Query(directory, null, null, null) : [];
            if (done(records))
            {
                return records;
            }

            // The writer has no completion event per line; a short poll is the observable signal.
            await Task.Delay(100);
        }

        Assert.Fail($"the audit trail never got the expected lines; it has {records.Count}");
        return records;
    }
}
