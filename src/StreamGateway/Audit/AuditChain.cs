using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace StreamGateway.Audit;

/// <summary>
/// The audit line format and its hash chain, pure. A line is one JSON object with fields in a fixed order,
/// ending with <c>"prev"</c> (the previous line's hash) and <c>"hash"</c>:
/// <c>{"seq":7,"line":3,"kind":"view",...,"ended":"teardown","prev":"…64 hex…","hash":"…64 hex…"}</c>.
/// <c>seq</c> numbers the whole chain, <c>line</c> is the line's own number in its day file: since day files are
/// only ever removed whole, a line removed from the start of the oldest file still shows.
/// <c>hash</c> = SHA-256 of the line's own bytes up to the <c>,"hash"</c> member, closed with <c>}</c>; since that
/// text holds <c>prev</c>, each hash covers the whole chain before it. The verifier hashes the raw text, so it needs
/// no JSON canonicalisation and any edit of any byte shows.
/// </summary>
internal static class AuditChain
{
    /// <summary>The <c>prev</c> of the very first line.</summary>
    public static readonly string Genesis = new('0', 64);

    private const string HashMember = ",\"hash\":\"";
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false };

    /// <summary>The complete line (without the newline) for <paramref name="entry"/> at <paramref name="seq"/> after <paramref name="prev"/>.</summary>
    public static string Format(AuditEntry entry, long seq, int line, string prev, out string hash)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteNumber("seq", seq);
            json.WriteNumber("line", line);
            json.WriteString("kind", entry.Kind);
            json.WriteString("user", entry.User);
            json.WriteString("destination", entry.Destination);
            json.WriteString("client", entry.Client);
            json.WriteString("school", entry.School);
            json.WriteString("camera", entry.Camera);
            json.WriteString("start", FormatTime(entry.Start));
            json.WriteString("end", FormatTime(entry.End));
            json.WriteNumber("bytes", entry.Bytes);
            json.WriteString("ended", entry.Ended);
            json.WriteString("prev", prev);
            json.WriteEndObject();
        }

        var content = Encoding.UTF8.GetString(buffer.WrittenSpan);
        hash = Hash(content);
        return content[..^1] + HashMember + hash + "\"}";
    }

    public static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// Splits a line into its hashed content and recorded hash, and checks the hash. False when the line is not
    /// in the chain's format at all (torn, or edited beyond its hash).
    /// </summary>
    public static bool TryCheck(string line, out bool hashMatches, out string hash, out string content)
    {
        hashMatches = false;
        hash = content = string.Empty;
        var at = line.LastIndexOf(HashMember, StringComparison.Ordinal);
        if (at < 0 || line.Length != at + HashMember.Length + 64 + 2 || !line.EndsWith("\"}", StringComparison.Ordinal))
        {
            return false;
        }

        hash = line.Substring(at + HashMember.Length, 64);
        content = line[..at] + "}";
        hashMatches = string.Equals(Hash(content), hash, StringComparison.Ordinal);
        return true;
    }

    /// <summary>Reads seq and prev from a line's content; false when they are missing or of the wrong type.</summary>
    public static bool TryReadLinks(string content, out long seq, out int line, out string prev)
    {
        seq = 0;
        line = 0;
        prev = string.Empty;
        try
        {
            using var document = JsonDocument.Parse(content);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("seq", out var s) || !s.TryGetInt64(out seq)
                || !root.TryGetProperty("line", out var l) || !l.TryGetInt32(out line)
                || !root.TryGetProperty("prev", out var p) || p.ValueKind != JsonValueKind.String)
            {
                return false;
            }

            prev = p.GetString()!;
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>
    /// Verifies lines in order (files concatenated in name order). Every line must hash right and sit at the line number
    /// it was written at; the first line may link to anything (older day files may have been removed whole), every
    /// later one must link to the line before and number one more. Empty lines are errors too.
    /// </summary>
    public static AuditVerifyResult Verify(IEnumerable<(string File, int LineNumber, string Text)> lines)
    {
        string? previousHash = null;
        long previousSeq = 0;
        var count = 0;
        foreach (var (file, number, text) in lines)
        {
            var where = $"{file}:{number}";
            if (!TryCheck(text, out var matches, out var hash, out var content))
            {
                return AuditVerifyResult.Broken(count, where, "the line is not a complete audit record (edited or torn)");
            }

            if (!matches)
            {
                return AuditVerifyResult.Broken(count, where, "the line was edited: its hash does not match its content");
            }

            if (!TryReadLinks(content, out var seq, out var line, out var prev))
            {
                return AuditVerifyResult.Broken(count, where, "the line has no valid seq, line or prev");
            }

            if (line != number)
            {
                return AuditVerifyResult.Broken(count, where, $"the line was written as line {line} of its file: lines before it were removed or inserted, or it was moved");
            }

            if (previousHash is not null && (!string.Equals(prev, previousHash, StringComparison.Ordinal) || seq != previousSeq + 1))
            {
                return AuditVerifyResult.Broken(
                    count,
                    where,
                    $"the line (seq {seq}) does not follow the line before it (seq {previousSeq}): a line was removed, inserted or moved here");
            }

            previousHash = hash;
            previousSeq = seq;
            count++;
        }

        return AuditVerifyResult.Ok(count, previousHash);
    }

    private static string Hash(string content) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(content)));
}

/// <summary>The outcome of <see cref="AuditChain.Verify"/>.</summary>
/// <param name="ValidLines">Lines checked before the first break (all of them when valid).</param>
/// <param name="FirstBrokenLine">"file:line" of the first broken line, null when valid.</param>
internal sealed record AuditVerifyResult(bool IsValid, int ValidLines, string? FirstBrokenLine, string? Problem, string? LastHash)
{
    public static AuditVerifyResult Ok(int lines, string? lastHash) => new(true, lines, null, null, lastHash);

    public static AuditVerifyResult Broken(int validLines, string where, string problem) => new(false, validLines, where, problem, null);
}
