using System.Globalization;
using System.Text.Json;

namespace StreamGateway.Audit;

/// <summary>
/// Where the audit trail lives: one file per UTC day, <c>{Path}/audit-yyyy-MM-dd.jsonl</c> (by session end),
/// all days forming one hash chain in name order. Old days may be removed whole (oldest first) without breaking
/// the chain of the rest.
/// </summary>
internal static class AuditFiles
{
    public const string Prefix = "audit-";
    public const string Extension = ".jsonl";

    public static string FileFor(string directory, DateTimeOffset time) =>
        Path.Combine(directory, Prefix + time.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + Extension);

    /// <summary>The day files of <paramref name="directory"/>, oldest first; empty when it does not exist.</summary>
    public static IReadOnlyList<string> List(string directory) =>
        Directory.Exists(directory)
            ? Directory.GetFiles(directory, Prefix + "*" + Extension).Order(StringComparer.Ordinal).ToList()
            : [];

    /// <summary>Every line of a file or of every day file of a directory, with file name and 1-based line number.</summary>
    public static IEnumerable<(string File, int LineNumber, string Text)> ReadLines(string fileOrDirectory)
    {
        var files = Directory.Exists(fileOrDirectory) ? List(fileOrDirectory) : [fileOrDirectory];
        foreach (var file in files)
        {
            var number = 0;
            foreach (var line in File.ReadLines(file))
            {
                number++;
                yield return (Path.GetFileName(file), number, line);
            }
        }
    }

    public static AuditVerifyResult Verify(string fileOrDirectory) => AuditChain.Verify(ReadLines(fileOrDirectory));

    /// <summary>
    /// The sessions that overlap [<paramref name="from"/>, <paramref name="to"/>] (either may be open), optionally of one
    /// school: "who watched this school's cameras then". Lines that are not valid records are skipped (run verify for them).
    /// </summary>
    public static IReadOnlyList<AuditRecord> Query(string fileOrDirectory, string? school, DateTimeOffset? from, DateTimeOffset? to)
    {
        var result = new List<AuditRecord>();
        foreach (var (_, _, text) in ReadLines(fileOrDirectory))
        {
            if (!AuditChain.TryCheck(text, out _, out _, out var content) || AuditRecord.TryParse(content, out var record) is false)
            {
                continue;
            }

            if ((school is null || string.Equals(record!.School, school, StringComparison.Ordinal))
                && (from is null || record!.End >= from) && (to is null || record!.Start <= to))
            {
                result.Add(record!);
            }
        }

        return result;
    }
}

/// <summary>An audit line read back.</summary>
internal sealed record AuditRecord(long Seq, string Kind, string? User, string? Destination, string? Client, string School, string Camera, DateTimeOffset Start, DateTimeOffset End, long Bytes, string Ended)
{
    public static bool TryParse(string json, out AuditRecord? record)
    {
        record = null;
        try
        {
            using var document = JsonDocument.Parse(json);
            var r = document.RootElement;
            string? Text(string name) => r.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            if (!r.TryGetProperty("seq", out var seq) || !r.TryGetProperty("bytes", out var bytes)
                || Text("kind") is not { } kind || Text("school") is not { } school || Text("camera") is not { } camera
                || !DateTimeOffset.TryParse(Text("start"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var start)
                || !DateTimeOffset.TryParse(Text("end"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var end))
            {
                return false;
            }

            record = new AuditRecord(seq.GetInt64(), kind, Text("user"), Text("destination"), Text("client"), school, camera, start, end, bytes.GetInt64(), Text("ended") ?? "");
            return true;
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            return false;
        }
    }
}

/// <summary>One line of <c>audit query</c>'s output (JSON, PascalCase names as operators' scripts read them).</summary>
internal sealed record AuditQueryLine(string Kind, string? User, string? Destination, string? Client, string School, string Camera, string Start, string End, long Bytes, string Ended)
{
    public static AuditQueryLine From(AuditRecord r) =>
        new(r.Kind, r.User, r.Destination, r.Client, r.School, r.Camera, AuditChain.FormatTime(r.Start), AuditChain.FormatTime(r.End), r.Bytes, r.Ended);
}

/// <summary>Compile-time JSON for the audit CLI's output (default options: PascalCase, one line per record).</summary>
[System.Text.Json.Serialization.JsonSerializable(typeof(AuditQueryLine))]
internal sealed partial class AuditJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
