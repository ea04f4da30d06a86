using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace StreamGateway.Audit;

/// <summary>
/// The append-only audit trail writer. <see cref="Record"/> never blocks (callers sit on the session close
/// path): entries go to a bounded queue drained by one background writer that appends a line per entry to the
/// day file and flushes it to disk. On start it continues the chain from the last line on disk, so restarts keep
/// one chain. A full queue drops the entry, counts it and logs (it takes 10 000 sessions ending faster than a
/// disk can append lines). The view and push sides both call <see cref="Record"/>.
/// </summary>
internal sealed class AuditLog : IAsyncDisposable
{
    public const int QueueCapacity = 10_000;

    private readonly string _directory;
    private readonly ILogger _logger;
    private readonly Channel<AuditEntry> _queue = Channel.CreateBounded<AuditEntry>(
        new BoundedChannelOptions(QueueCapacity) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly Task _writer;
    private long _written;
    private long _dropped;
    private long _seq;
    private string _prev = AuditChain.Genesis;
    private string? _file;
    private int _line;

    private AuditLog(string directory, ILogger logger)
    {
        _directory = directory;
        _logger = logger;
        Resume();
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Lines appended since start.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Entries lost because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public string Directory => _directory;

    /// <summary>Raised on the writer after each appended line (tests wait on it).</summary>
    public event Action<AuditEntry>? Appended;

    /// <summary>Opens (creating the directory) and resumes the chain from the newest file.</summary>
    public static AuditLog Open(string directory, ILoggerFactory loggerFactory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        System.IO.Directory.CreateDirectory(directory);
        return new AuditLog(Path.GetFullPath(directory), loggerFactory.CreateLogger<AuditLog>());
    }

    /// <summary>Queues one entry; returns false (and counts it) when the queue is full or the log is closed. Never blocks.</summary>
    public bool Record(AuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (_queue.Writer.TryWrite(entry))
        {
            return true;
        }

        var dropped = Interlocked.Increment(ref _dropped);
        if (dropped == 1 || dropped % 1000 == 0)
        {
            AuditLogMessages.Dropped(_logger, dropped);
        }

        return false;
    }

    private void Resume()
    {
        var files = AuditFiles.List(_directory);
        if (files.Count == 0)
        {
            return;
        }

        var last = files[^1];
        string? lastGood = null;
        var torn = false;
        foreach (var line in File.ReadLines(last))
        {
            if (AuditChain.TryCheck(line, out var matches, out _, out _) && matches)
            {
                lastGood = line;
                torn = false;
            }
            else if (line.Length > 0)
            {
                torn = true;
            }
        }

        if (torn)
        {
            AuditLogMessages.TornTail(_logger, Path.GetFileName(last));
        }

        if (lastGood is not null && AuditChain.TryCheck(lastGood, out _, out var hash, out var content) && AuditChain.TryReadLinks(content, out var seq, out _, out _))
        {
            _seq = seq;
            _prev = hash;
        }

        // A crash mid-line leaves no newline: start on a fresh line so the torn text stays a line of its own.
        using var stream = new FileStream(last, FileMode.Open, FileAccess.ReadWrite);
        if (stream.Length > 0)
        {
            stream.Seek(-1, SeekOrigin.End);
            if (stream.ReadByte() != '\n')
            {
                stream.Seek(0, SeekOrigin.End);
                stream.WriteByte((byte)'\n');
            }
        }
    }

    private async Task WriteLoopAsync()
    {
        await foreach (var entry in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                var path = AuditFiles.FileFor(_directory, entry.End);
                if (!string.Equals(path, _file, StringComparison.Ordinal))
                {
                    // A new day (or the first write): line numbers continue from what the file already holds.
                    _line = File.Exists(path) ? File.ReadLines(path).Count() : 0;
                    _file = path;
                }

                var line = AuditChain.Format(entry, _seq + 1, _line + 1, _prev, out var hash);
                await using (var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read))
                {
                    await stream.WriteAsync(Encoding.UTF8.GetBytes(line + "\n")).ConfigureAwait(false);
                    stream.Flush(flushToDisk: true);
                }

                _seq++;
                _line++;
                _prev = hash;
                Interlocked.Increment(ref _written);
                Appended?.Invoke(entry);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The entry is lost but the chain stays intact (nothing was appended); say so loudly.
                AuditLogMessages.WriteFailed(_logger, _directory, e);
            }
        }
    }

    /// <summary>Stops accepting entries, writes what is queued (bounded to 10 s) and returns.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
    }
}

/// <summary>Audit log messages; event ids 150-159 are stable.</summary>
internal static partial class AuditLogMessages
{
    [LoggerMessage(150, LogLevel.Error, "Audit queue full: {Dropped} entries dropped so far")]
    public static partial void Dropped(ILogger logger, long dropped);

    [LoggerMessage(151, LogLevel.Error, "Writing the audit trail under {Directory} failed; the entry is lost")]
    public static partial void WriteFailed(ILogger logger, string directory, Exception exception);

    [LoggerMessage(152, LogLevel.Warning, "The last audit file {File} ends with a line that is not a complete record (crash mid-write?); audit verify will name it")]
    public static partial void TornTail(ILogger logger, string file);
}
