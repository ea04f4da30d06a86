using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FFMpegCore;

namespace StreamGateway.Archive;

internal sealed record SidecarSegment(string Path, string Sha256, DateTimeOffset Start, DateTimeOffset End, long Bytes);

/// <summary>
/// The chain-of-custody sidecar written beside a clip as <c>{clip}.sha256.json</c>: what was asked for,
/// what the clip is (SHA-256), which archive files it was cut from (each with its SHA-256), when, and
/// the gaps inside the range (the clip's timeline closes them, so they are stated here).
/// </summary>
internal sealed record ExportSidecar(
    string Clip,
    string ClipSha256,
    long ClipBytes,
    string School,
    string Camera,
    DateTimeOffset RequestedFrom,
    DateTimeOffset RequestedTo,
    DateTimeOffset ExportedAt,
    double ExpectedVideoSeconds,
    IReadOnlyList<SidecarSegment> Segments,
    IReadOnlyList<GapReport> Gaps,
    string Method);

/// <summary>Why an export could not be made, as a value (the CLI prints it).</summary>
internal sealed record ExportResult(ExportSidecar? Sidecar, string? SidecarPath, string? Error);

/// <summary>
/// Cuts one MP4 for [from, to) out of a camera's segments by stream copy: FFMpegCore drives ffmpeg's
/// concat demuxer with inpoint/outpoint per segment, so nothing is re-encoded. Cuts land on keyframes
/// at or before the requested times (stream copy cannot start mid-GOP).
/// </summary>
internal static class ClipExporter
{
    public const string SidecarSuffix = ".sha256.json";

    public static async Task<ExportResult> ExportAsync(
        ArchiveIndex index,
        string school,
        string camera,
        DateTimeOffset from,
        DateTimeOffset to,
        string output,
        DateTimeOffset exportedAt,
        Action<double>? progressPercent,
        CancellationToken cancellationToken)
    {
        if (to <= from)
        {
            return new ExportResult(null, null, "--to must be after --from");
        }

        var archive = index.Find(school, camera);
        if (archive is null || archive.Segments.Count == 0)
        {
            return new ExportResult(null, null, $"no footage for {school}/{camera} under {index.Root}");
        }

        var sources = archive.Segments.Where(s => s.End > from && s.Start < to && s.Duration > TimeSpan.Zero).ToList();
        if (sources.Count == 0)
        {
            return new ExportResult(null, null, $"no footage for {school}/{camera} between {from:O} and {to:O}");
        }

        var gaps = new Coverage(index).Gaps(archive, from, to);
        var expected = sources.Sum(s => (Min(s.End, to) - Max(s.Start, from)).TotalSeconds);
        output = Path.GetFullPath(output);
        var list = output + ".concat.txt";
        await File.WriteAllTextAsync(list, ConcatList(sources, from, to), cancellationToken).ConfigureAwait(false);
        try
        {
            var result = await FFMpegArguments
                .FromFileInput(list, verifyExists: false, options => options.ForceFormat("concat").WithCustomArgument("-safe 0"))
                .OutputToFile(output, overwrite: true, options => options
                    .WithMap(0)
                    .CopyStreams()
                    .WithCustomArgument("-avoid_negative_ts make_zero -movflags +faststart"))
                .NotifyOnPercentageProgress(percent => progressPercent?.Invoke(percent), TimeSpan.FromSeconds(expected))
                .CancellableThrough(cancellationToken)
                .ProcessAsynchronously(throwOnError: false)
                .ConfigureAwait(false);
            if (!result.Success || !File.Exists(output))
            {
                var tail = string.Join('\n', result.StandardError.TakeLast(5));
                return new ExportResult(null, null, $"ffmpeg failed to write the clip (exit {result.ExitCode}): {tail}");
            }
        }
        finally
        {
            File.Delete(list);
        }

        progressPercent?.Invoke(100);
        var segments = new List<SidecarSegment>();
        foreach (var s in sources)
        {
            segments.Add(new SidecarSegment(s.FilePath, await Sha256Async(s.FilePath, cancellationToken).ConfigureAwait(false), s.Start, s.End, s.Bytes));
        }

        var sidecar = new ExportSidecar(
            output,
            await Sha256Async(output, cancellationToken).ConfigureAwait(false),
            new FileInfo(output).Length,
            school,
            camera,
            from,
            to,
            exportedAt,
            Math.Round(expected, 3),
            segments,
            [.. gaps.Select(g => new GapReport(g.From, g.To, Math.Round(g.Length.TotalSeconds, 1), g.Cause, g.CauseSource))],
            "ffmpeg concat demuxer, stream copy (no re-encoding), cut at keyframes");
        var sidecarPath = output + SidecarSuffix;
        await File.WriteAllTextAsync(sidecarPath, JsonSerializer.Serialize(sidecar, ArchiveJsonContext.Default.ExportSidecar), cancellationToken).ConfigureAwait(false);
        return new ExportResult(sidecar, sidecarPath, null);
    }

    /// <summary>The concat demuxer's script: one file per segment, trimmed at the range's ends.</summary>
    internal static string ConcatList(IReadOnlyList<ArchiveSegment> sources, DateTimeOffset from, DateTimeOffset to)
    {
        var sb = new StringBuilder("ffconcat version 1.0\n");
        foreach (var s in sources)
        {
            // Quote per the concat syntax: ' closes, \' is a literal quote, ' reopens.
            sb.Append("file '").Append(s.FilePath.Replace("'", "'\\''", StringComparison.Ordinal)).Append("'\n");
            if (from > s.Start)
            {
                sb.Append(CultureInfo.InvariantCulture, $"inpoint {(from - s.Start).TotalSeconds:0.000}\n");
            }

            if (to < s.End)
            {
                sb.Append(CultureInfo.InvariantCulture, $"outpoint {(to - s.Start).TotalSeconds:0.000}\n");
            }
        }

        return sb.ToString();
    }

    public static async Task<string> Sha256Async(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
