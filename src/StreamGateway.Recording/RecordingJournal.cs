using System.Text;
using System.Text.Json;

namespace StreamGateway.Recording;

/// <summary>Event names and gap causes of <c>recording-events.jsonl</c> (docs/recording.md); stable, other tools read them.</summary>
public static class RecordingEvents
{
    public const string SegmentStart = "segment-start";
    public const string SegmentEnd = "segment-end";
    public const string GapStart = "gap-start";
    public const string GapEnd = "gap-end";

    public const string CauseCameraOffline = "camera-offline";
    public const string CauseGatewayStopped = "gateway-stopped";
    public const string CauseDropped = "dropped";
    public const string CauseTrackChange = "track-change";
    public const string CauseDiskError = "disk-error";
    public const string CauseRecordingDisabled = "recording-disabled";
    public const string CauseCameraRemoved = "camera-removed";

    /// <summary>The journal's file name in each camera directory.</summary>
    public const string JournalFileName = "recording-events.jsonl";
}

/// <summary>
/// Appends one JSON object per line to a camera's journal. Each append opens, writes and closes the file, so a
/// killed process leaves whole lines (at most the last one torn, which readers skip).
/// </summary>
internal sealed class RecordingJournal(string path)
{
    private readonly ArrayBufferWriterLite _buffer = new();

    public string FilePath { get; } = path;

    public void Append(DateTimeOffset at, string @event, string? cause = null, string? file = null, double? seconds = null, long? bytes = null, string? reason = null)
    {
        _buffer.Clear();
        using (var json = new Utf8JsonWriter(_buffer.Stream))
        {
            json.WriteStartObject();
            json.WriteString("at", at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteString("event", @event);
            if (cause is not null)
            {
                json.WriteString("cause", cause);
            }

            if (file is not null)
            {
                json.WriteString("file", file);
            }

            if (seconds is not null)
            {
                json.WriteNumber("seconds", Math.Round(seconds.Value, 3));
            }

            if (bytes is not null)
            {
                json.WriteNumber("bytes", bytes.Value);
            }

            if (reason is not null)
            {
                json.WriteString("reason", reason);
            }

            json.WriteEndObject();
        }

        _buffer.Stream.WriteByte((byte)'\n');
        Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
        using var file2 = new FileStream(FilePath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        file2.Write(_buffer.Stream.GetBuffer().AsSpan(0, (int)_buffer.Stream.Length));
    }

    /// <summary>The last whole line's event, cause and time, or null when the journal is missing or empty. Reads at most the last 64 KB.</summary>
    public (string Event, string? Cause, DateTimeOffset At)? ReadLast()
    {
        if (!File.Exists(FilePath))
        {
            return null;
        }

        using var file = new FileStream(FilePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var length = (int)Math.Min(file.Length, 64 * 1024);
        file.Seek(-length, SeekOrigin.End);
        var bytes = new byte[length];
        file.ReadExactly(bytes);
        var lines = Encoding.UTF8.GetString(bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        for (var i = lines.Length - 1; i >= 0; i--)
        {
            try
            {
                using var document = JsonDocument.Parse(lines[i]);
                var root = document.RootElement;
                var @event = root.GetProperty("event").GetString();
                var at = DateTimeOffset.Parse(root.GetProperty("at").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
                var cause = root.TryGetProperty("cause", out var c) ? c.GetString() : null;
                if (@event is not null)
                {
                    return (@event, cause, at);
                }
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or FormatException or InvalidOperationException)
            {
                // A torn last line after a kill: use the one before.
            }
        }

        return null;
    }

    private sealed class ArrayBufferWriterLite
    {
        public MemoryStream Stream { get; } = new();

        public void Clear() => Stream.SetLength(0);
    }
}
