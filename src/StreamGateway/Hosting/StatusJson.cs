using System.Text.Json;
using System.Text.Json.Serialization;
using StreamGateway.Archive;
using StreamGateway.Recording;

namespace StreamGateway.Hosting;

/// <summary>An error answer of the HTTP API: <c>{"error": "..."}</c>.</summary>
internal sealed record ApiError(string Error);

/// <summary><c>/api/v1/archive</c>: the latest retention pass (tuples do not serialize by name, hence these records).</summary>
internal sealed record ArchiveStatusDocument(
    DateTimeOffset At,
    bool FloorAtRisk,
    int DeletedSegments,
    long DeletedBytes,
    int KeptSegments,
    DateTimeOffset? OldestSegment,
    ArchiveForecastDocument Forecast,
    IReadOnlyList<CameraRef> CamerasToPause,
    string? Error)
{
    public static ArchiveStatusDocument From(RetentionStatus s) => new(
        s.At,
        s.FloorAtRisk,
        s.DeletedSegments,
        s.DeletedBytes,
        s.KeptSegments,
        s.Oldest,
        new ArchiveForecastDocument(
            s.Forecast.Volume.Name,
            s.Forecast.Volume.TotalBytes,
            s.Forecast.Volume.AvailableBytes,
            s.Forecast.ArchiveBytes,
            s.Forecast.BytesPerDay,
            s.Forecast.DaysFit,
            s.Forecast.RetentionDays,
            s.Forecast.Schools),
        [.. s.CamerasToPause.Select(c => new CameraRef(c.School, c.Camera))],
        s.Error);
}

internal sealed record ArchiveForecastDocument(
    string Volume,
    long TotalBytes,
    long AvailableBytes,
    long ArchiveBytes,
    double BytesPerDay,
    double? DaysFit,
    int RetentionDays,
    IReadOnlyList<SchoolForecast> Schools);

internal sealed record CameraRef(string School, string Camera);

/// <summary>
/// The HTTP API's JSON, generated at compile time: the documents reflection would write with the web defaults
/// (camelCase, indented), but without runtime code generation, so the same code also runs as a NativeAOT binary
/// (docs/benchmarks-notes.md measures its memory).
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(IReadOnlyList<CameraStatus>))]
[JsonSerializable(typeof(GatewayStatusReport))]
[JsonSerializable(typeof(IReadOnlyList<RecorderStatus>))]
[JsonSerializable(typeof(ArchiveStatusDocument))]
[JsonSerializable(typeof(ApiError))]
internal sealed partial class StatusJsonContext : JsonSerializerContext;
