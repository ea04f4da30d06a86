using System.Globalization;
using System.Text.Json;

namespace StreamGateway.Archive;

/// <summary>One line of the recorder's <c>recording-events.jsonl</c>.</summary>
internal sealed record RecordingEvent(DateTimeOffset At, string Event, string? Cause);

/// <summary>
/// The recorder's journal of gap and segment events for one camera. Optional: a missing file is an empty
/// journal; malformed lines are skipped and counted so the report can say the journal was damaged.
/// </summary>
internal sealed class RecordingEventsJournal
{
    /// <summary>Longest line read; longer lines are counted as malformed.</summary>
    public const int MaxLineChars = 4096;

    /// <summary>Lines read per journal; a bound against a runaway file.</summary>
    public const int MaxLines = 2_000_000;

    public static readonly RecordingEventsJournal Empty = new([], 0);

    public RecordingEventsJournal(IReadOnlyList<RecordingEvent> events, int malformedLines)
    {
        Events = events;
        MalformedLines = malformedLines;
    }

    /// <summary>Events in time order.</summary>
    public IReadOnlyList<RecordingEvent> Events { get; }

    public int MalformedLines { get; }

    public static RecordingEventsJournal Load(string path)
    {
        if (!File.Exists(path))
        {
            return Empty;
        }

        try
        {
            using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
            return Parse(reader);
        }
        catch (IOException)
        {
            return new RecordingEventsJournal([], 1);
        }
        catch (UnauthorizedAccessException)
        {
            return new RecordingEventsJournal([], 1);
        }
    }

    public static RecordingEventsJournal Parse(TextReader reader)
    {
        var events = new List<RecordingEvent>();
        var malformed = 0;
        for (var count = 0; count < MaxLines && reader.ReadLine() is { } line; count++)
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            if (TryParseLine(line, out var recorded))
            {
                events.Add(recorded);
            }
            else
            {
                malformed++;
            }
        }

        events.Sort((a, b) => a.At.CompareTo(b.At));
        return new RecordingEventsJournal(events, malformed);
    }

    public static bool TryParseLine(string line, out RecordingEvent recorded)
    {
        recorded = null!;
        if (line.Length > MaxLineChars)
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("at", out var at) || at.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("event", out var name) || name.ValueKind != JsonValueKind.String
                || !DateTimeOffset.TryParse(at.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when))
            {
                return false;
            }

            string? cause = root.TryGetProperty("cause", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
            recorded = new RecordingEvent(when.ToUniversalTime(), name.GetString()!, cause);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>
    /// The cause the recorder wrote for the gap [from, to): the gap-start with a cause nearest to
    /// <paramref name="from"/> within [from − slack, to]; failing that (a recorder killed mid-gap cannot
    /// write a gap-start), the gap-end with a cause nearest to <paramref name="to"/> within [from, to + slack].
    /// </summary>
    public string? CauseOfGap(DateTimeOffset from, DateTimeOffset to, TimeSpan slack) =>
        Nearest("gap-start", from, from - slack, to) ?? Nearest("gap-end", to, from, to + slack);

    private string? Nearest(string name, DateTimeOffset target, DateTimeOffset earliest, DateTimeOffset latest)
    {
        RecordingEvent? best = null;
        foreach (var e in Events)
        {
            if (e.Event == name && e.Cause is not null && e.At >= earliest && e.At <= latest
                && (best is null || (e.At - target).Duration() < (best.At - target).Duration()))
            {
                best = e;
            }
        }

        return best?.Cause;
    }
}
