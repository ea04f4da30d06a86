using System.Text;

namespace StreamGateway.Configuration;

/// <summary>
/// An operations center that receives school cameras (<c>Gateway:Destinations:{id}</c>): its users pull from
/// the gateway's RTSP server (<see cref="Pull"/>) and/or the gateway pushes to its media server (<see cref="Push"/>).
/// </summary>
internal sealed record DestinationConfig
{
    /// <summary>Required. The config key; URL-path safe; what schools and districts list in <c>Destinations</c>.</summary>
    public required string Id { get; init; }

    /// <summary>Optional (a warning when missing). Display name, e.g. "Kostanay regional operations center".</summary>
    public string? Name { get; init; }

    /// <summary>Optional. Publish every routed camera to the center's RTSP server.</summary>
    public PushConfig? Push { get; init; }

    /// <summary>Optional. Accounts of the center's dispatchers and VMS on the gateway's RTSP server.</summary>
    public PullConfig? Pull { get; init; }
}

/// <summary>How the gateway publishes to a destination (RTSP ANNOUNCE/RECORD). <see cref="ToString"/> never shows the password.</summary>
internal sealed record PushConfig
{
    /// <summary>Placeholders a URL template may use.</summary>
    public static readonly IReadOnlyList<string> Placeholders = ["school", "camera", "district"];

    /// <summary>
    /// Required. rtsp:// URL template without user info, with placeholders {school}, {camera} and optionally {district},
    /// e.g. <c>rtsp://media.cou.local:8554/{school}/{camera}</c>.
    /// </summary>
    public required string Url { get; init; }

    /// <summary>Optional. Login on the center's server.</summary>
    public string? Username { get; init; }

    /// <summary>Optional secret (usually from the environment). Never printed.</summary>
    public string? Password { get; init; }

    /// <summary>Optional, default and only value "tcp": RTP interleaved on the RTSP connection.</summary>
    public string Transport { get; init; } = "tcp";

    /// <summary>The URL for one camera: placeholders replaced by the percent-escaped ids.</summary>
    public string ExpandUrl(string school, string camera, string? district = null)
    {
        ArgumentNullException.ThrowIfNull(school);
        ArgumentNullException.ThrowIfNull(camera);
        return Expand(Url, school, camera, district);
    }

    internal static string Expand(string template, string school, string camera, string? district) => template
        .Replace("{school}", Uri.EscapeDataString(school), StringComparison.Ordinal)
        .Replace("{camera}", Uri.EscapeDataString(camera), StringComparison.Ordinal)
        .Replace("{district}", Uri.EscapeDataString(district ?? string.Empty), StringComparison.Ordinal);

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Url = ").Append(Url)
            .Append(", Username = ").Append(Username)
            .Append(", Password = ").Append(Password is null ? string.Empty : SecretRedactor.Mask)
            .Append(", Transport = ").Append(Transport);
        return true;
    }
}

/// <summary>Pull access of a destination's users.</summary>
internal sealed record PullConfig
{
    /// <summary>The destination's accounts, sorted by name (ordinal). A user name is unique across all destinations.</summary>
    public IReadOnlyList<PullUserConfig> Users { get; init => field = ValueList<PullUserConfig>.From(value); } = ValueList<PullUserConfig>.Empty;

    /// <summary>Optional, default false. Also accept Basic (for old VMS); Digest is always offered.</summary>
    public bool AllowBasic { get; init; }
}

/// <summary>
/// One viewer account. Only the Digest HA1 is kept, MD5("name:StreamGateway:password"): a plain
/// <c>Password</c> from the file or the environment is hashed at load. <see cref="ToString"/> never shows it.
/// </summary>
internal sealed record PullUserConfig
{
    public required string Name { get; init; }

    /// <summary>MD5("name:StreamGateway:password"), lower-case hex; password-equivalent, never printed.</summary>
    public required string Ha1 { get; init; }

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Name = ").Append(Name).Append(", Ha1 = ").Append(SecretRedactor.Mask);
        return true;
    }
}

/// <summary>A district route (<c>Gateway:Districts:{district}:Destinations</c>): every school whose District matches is routed there.</summary>
internal sealed record DistrictConfig
{
    /// <summary>The district name, compared with each school's <c>District</c> (ordinal).</summary>
    public required string Id { get; init; }

    /// <summary>Destination ids, in config order.</summary>
    public IReadOnlyList<string> Destinations { get; init => field = ValueList<string>.From(value); } = ValueList<string>.Empty;
}

/// <summary>The audit trail (<c>Gateway:Audit</c>).</summary>
internal sealed record AuditConfig
{
    public const string DefaultPath = "data/audit";

    /// <summary>
    /// True when the config has a <c>Gateway:Audit</c> section or any destination; a config of the core issue
    /// (neither) writes no audit files and behaves as before.
    /// </summary>
    public bool Enabled { get; init; }

    /// <summary>Optional, default "data/audit" (relative to the working directory). Directory of the daily JSON-lines files.</summary>
    public string Path { get; init; } = DefaultPath;
}

/// <summary>One camera to publish to one push destination, with its expanded URL.</summary>
internal sealed record PushRoute(CameraConfig Camera, DestinationConfig Destination, string Url);
