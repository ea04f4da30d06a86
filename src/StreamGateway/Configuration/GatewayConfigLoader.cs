using System.Collections;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace StreamGateway.Configuration;

/// <summary>
/// Loads and validates the gateway configuration: a JSON file, with environment variables
/// (standard "__" separator, no prefix) overriding any key. Values are read one by one (not through
/// the binder) so every bad value becomes its own error with its key, and every error is reported
/// at once. Diagnostics never contain a password.
/// </summary>
internal static partial class GatewayConfigLoader
{
    public const string SectionName = "Gateway";
    public const int DefaultRtspPort = 8554;
    public const int DefaultRtspMaxConnections = 1000;
    public const int DefaultRtspMaxConnectionsPerClientAddress = 256;
    private const int MaxRtspConnectionsLimit = 100_000;
    public const int DefaultHttpPort = 8080;
    public const string DefaultBindAddress = "0.0.0.0";

    /// <summary>Longest school or camera id; ids end up in URLs and logs.</summary>
    public const int MaxIdLength = 100;

    private const int MaxQuotedLength = 120;

    private static readonly string[] GatewayKeys = ["Rtsp", "Http", "Schools", "Reconnect", "Recording", "Relay", "Destinations", "Districts", "Audit"];
    private static readonly string[] DestinationKeys = ["Name", "Push", "Pull"];
    private static readonly string[] PushKeys = ["Url", "Username", "Password", "Transport"];
    private static readonly string[] PullKeys = ["Users", "AllowBasic"];
    private static readonly string[] PullUserKeys = ["Password", "PasswordHash"];
    private static readonly string[] DistrictKeys = ["Destinations"];
    private static readonly string[] AuditKeys = ["Path"];
    private static readonly string[] ListenerKeys = ["Port", "BindAddress"];
    private static readonly string[] RtspListenerKeys = [.. ListenerKeys, "MaxConnections", "MaxConnectionsPerClientAddress"];
    private static readonly string[] SchoolKeys = ["Name", "District", "Cameras", "Reconnect", "Recording", "Destinations"];
    private static readonly string[] CameraKeys = ["Source", "Transport", "Username", "Password", "OnDemand", "Reconnect", "Recording"];

    /// <summary>
    /// Loads <paramref name="path"/> and applies environment overrides: <paramref name="environmentOverrides"/>
    /// (variable name → value, e.g. "Gateway__Http__Port") or, when null, the process environment.
    /// </summary>
    public static ConfigLoadResult Load(string path, IDictionary<string, string?>? environmentOverrides = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var errors = new List<ConfigDiagnostic>();
        var fileData = JsonConfigReader.Read(path, errors);
        if (fileData is null)
        {
            return new ConfigLoadResult(null, errors, []);
        }

        var environment = NormalizeEnvironment(environmentOverrides ?? ReadProcessEnvironment());
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(fileData)
            .AddInMemoryCollection(environment)
            .Build();
        return Validate(configuration, key => environment.ContainsKey(key) ? "environment" : path, errors);
    }

    /// <summary>Validates an already built configuration (tests, the built-in demo); diagnostics name <paramref name="sourceName"/>.</summary>
    public static ConfigLoadResult Load(IConfiguration configuration, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(sourceName);
        return Validate(configuration, _ => sourceName, []);
    }

    /// <summary>A value safe to put in a message: URL passwords masked, length bounded.</summary>
    internal static string Quote(string value)
    {
        var redacted = SecretRedactor.RedactUrl(value);
        return redacted.Length <= MaxQuotedLength ? redacted : redacted[..MaxQuotedLength] + "...";
    }

    internal static bool IsSafeId(string id) =>
        id.Length is > 0 and <= MaxIdLength && id is not "." and not ".." && SafeId().IsMatch(id);

    private static ConfigLoadResult Validate(IConfiguration configuration, Func<string, string> originOf, List<ConfigDiagnostic> errors)
    {
        var validator = new Validator(originOf, errors);
        var config = validator.ReadGateway(configuration.GetSection(SectionName));
        return new ConfigLoadResult(config, validator.Errors, validator.Warnings);
    }

    private static Dictionary<string, string?> NormalizeEnvironment(IDictionary<string, string?> variables)
    {
        var result = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in variables)
        {
            var key = name.Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal);
            if (key.Equals(SectionName, StringComparison.OrdinalIgnoreCase)
                || key.StartsWith(SectionName + ConfigurationPath.KeyDelimiter, StringComparison.OrdinalIgnoreCase))
            {
                result[key] = value;
            }
        }

        return result;
    }

    private static Dictionary<string, string?> ReadProcessEnvironment()
    {
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            result[(string)entry.Key] = entry.Value as string;
        }

        return result;
    }

    [GeneratedRegex("^[A-Za-z0-9._-]+$", RegexOptions.CultureInvariant)]
    private static partial Regex SafeId();

    /// <summary>One validation run: reads every value, collects every error and warning.</summary>
    private sealed class Validator(Func<string, string> originOf, List<ConfigDiagnostic> errors)
    {
        public List<ConfigDiagnostic> Errors { get; } = errors;

        public List<ConfigDiagnostic> Warnings { get; } = [];

        public GatewayConfig? ReadGateway(IConfigurationSection gateway)
        {
            if (!gateway.Exists())
            {
                Error(gateway.Path, "the Gateway section is missing");
                return null;
            }

            WarnUnknownKeys(gateway, GatewayKeys);
            var rtsp = gateway.GetSection("Rtsp");
            var http = gateway.GetSection("Http");
            WarnUnknownKeys(rtsp, RtspListenerKeys);
            WarnUnknownKeys(http, ListenerKeys);
            var rtspPort = ReadPort(rtsp, DefaultRtspPort);
            var httpPort = ReadPort(http, DefaultHttpPort);
            var rtspBind = ReadBindAddress(rtsp);
            var httpBind = ReadBindAddress(http);
            var maxConnections = ReadInt(rtsp, "MaxConnections", DefaultRtspMaxConnections, 1, MaxRtspConnectionsLimit, "connections");
            // A VMS recording a whole district from one address opens a connection per camera: allow up to all of them.
            var maxPerAddress = ReadInt(rtsp, "MaxConnectionsPerClientAddress", DefaultRtspMaxConnectionsPerClientAddress, 1, MaxRtspConnectionsLimit, "connections");
            if (maxPerAddress > maxConnections)
            {
                Error(rtsp.GetSection("MaxConnectionsPerClientAddress").Path,
                    $"{maxPerAddress} is more than Rtsp:MaxConnections ({maxConnections}); one address can never hold more than the server allows in all");
            }
            if (rtspPort is > 0 && rtspPort == httpPort)
            {
                Error(http.GetSection("Port").Path, $"port {httpPort} is also Rtsp:Port; give each listener its own port");
            }

            var reconnect = ReadReconnect(gateway, ReconnectSettings.Default);
            var recording = ReadRecording(gateway);
            var relay = ReadRelay(gateway);
            var schools = new List<SchoolConfig>();
            var schoolSections = gateway.GetSection("Schools").GetChildren().OrderBy(s => s.Key, StringComparer.Ordinal).ToList();
            if (schoolSections.Count == 0)
            {
                Warn(gateway.GetSection("Schools").Path, "no schools are configured; the gateway will serve nothing");
            }

            foreach (var section in schoolSections)
            {
                var school = ReadSchool(section, reconnect, recording.Enabled);
                if (school is not null)
                {
                    schools.Add(school);
                }
            }

            var destinations = ReadDestinations(gateway.GetSection("Destinations"));
            var districts = ReadDistricts(gateway.GetSection("Districts"));
            var audit = ReadAudit(gateway.GetSection("Audit"), destinations.Count > 0);
            var draft = new GatewayConfig { Schools = schools, Destinations = destinations, Districts = districts };
            CheckRoutes(gateway, draft);
            if (Errors.Count > 0)
            {
                return null;
            }

            return draft with
            {
                RtspPort = rtspPort!.Value,
                RtspBindAddress = rtspBind!,
                RtspMaxConnections = maxConnections,
                RtspMaxConnectionsPerClientAddress = maxPerAddress,
                HttpPort = httpPort!.Value,
                HttpBindAddress = httpBind!,
                Audit = audit,
                Recording = recording,
                Relay = relay,
            };
        }

        private SchoolConfig? ReadSchool(IConfigurationSection school, ReconnectSettings inherited, bool recordingInherited)
        {
            var valid = CheckId(school, "school");
            if (!IsObject(school, "an object with Name, District and Cameras"))
            {
                return null;
            }

            WarnUnknownKeys(school, SchoolKeys);
            var name = NullIfBlank(ReadValue(school, "Name", ref valid));
            var district = NullIfBlank(ReadValue(school, "District", ref valid));
            if (name is null)
            {
                Warn(school.GetSection("Name").Path, "the school has no Name; dispatchers will see only its id");
            }

            var routes = ReadIdList(school, "Destinations", ref valid);
            var reconnect = ReadReconnect(school, inherited);
            var recordingEnabled = ReadRecordingEnabled(school, recordingInherited);
            var camerasSection = school.GetSection("Cameras");
            var cameraSections = camerasSection.GetChildren().OrderBy(c => c.Key, StringComparer.Ordinal).ToList();
            if (cameraSections.Count == 0)
            {
                Warn(camerasSection.Path, "the school has no cameras");
            }

            var cameras = new List<CameraConfig>();
            foreach (var section in cameraSections)
            {
                var camera = ReadCamera(school.Key, section, reconnect, recordingEnabled);
                if (camera is null)
                {
                    valid = false;
                }
                else
                {
                    cameras.Add(camera);
                }
            }

            return valid ? new SchoolConfig { Id = school.Key, Name = name, District = district, Destinations = routes, Cameras = cameras } : null;
        }

        private CameraConfig? ReadCamera(string schoolId, IConfigurationSection camera, ReconnectSettings inherited, bool recordingInherited)
        {
            var valid = CheckId(camera, "camera");
            if (!IsObject(camera, "an object with at least Source"))
            {
                return null;
            }

            WarnUnknownKeys(camera, CameraKeys);
            var rawSource = ReadValue(camera, "Source", ref valid);
            var rawTransport = ReadValue(camera, "Transport", ref valid);
            var rawOnDemand = ReadValue(camera, "OnDemand", ref valid);
            var username = NullIfBlank(ReadValue(camera, "Username", ref valid));
            var password = NullIfEmpty(ReadValue(camera, "Password", ref valid));

            var sourceKey = camera.GetSection("Source").Path;
            CameraSource.ParsedSource source = default;
            if (string.IsNullOrWhiteSpace(rawSource))
            {
                // An object where the URL belongs was already reported by ReadValue.
                if (!camera.GetSection("Source").GetChildren().Any())
                {
                    Error(sourceKey, "Source is missing; give the camera's rtsp:// URL");
                }

                valid = false;
            }
            else if (!CameraSource.TryParse(rawSource, out source, out var sourceError))
            {
                Error(sourceKey, sourceError!);
                valid = false;
            }
            else if (source.Username is not null && (username is not null || password is not null))
            {
                Error(camera.Path, "credentials are in both the Source URL and Username/Password; give credentials in one place");
                valid = false;
            }

            if (password is not null && username is null && source.Username is null)
            {
                Error(camera.GetSection("Password").Path, "Password is given without Username");
                valid = false;
            }

            var transport = CameraTransport.Auto;
            if (rawTransport is not null && !TryParseTransport(rawTransport, out transport))
            {
                Error(camera.GetSection("Transport").Path, $"unknown transport '{Quote(rawTransport)}'; use tcp, udp or auto");
                valid = false;
            }

            var onDemand = false;
            if (rawOnDemand is not null && !bool.TryParse(rawOnDemand.Trim(), out onDemand))
            {
                Error(camera.GetSection("OnDemand").Path, $"'{Quote(rawOnDemand)}' is not true or false");
                valid = false;
            }

            var errorsBefore = Errors.Count;
            var reconnect = ReadReconnect(camera, inherited);
            var recordingEnabled = ReadRecordingEnabled(camera, recordingInherited);
            if (!valid || Errors.Count > errorsBefore)
            {
                return null;
            }

            return new CameraConfig
            {
                Reconnect = reconnect,
                SchoolId = schoolId,
                CameraId = camera.Key,
                Source = source.Source,
                Username = source.Username ?? username,
                Password = source.Username is not null ? source.Password : password,
                Transport = transport,
                OnDemand = onDemand,
                RecordingEnabled = recordingEnabled,
            };
        }

        private List<DestinationConfig> ReadDestinations(IConfigurationSection section)
        {
            var result = new List<DestinationConfig>();
            if (section.Value is not null && !section.GetChildren().Any())
            {
                if (section.Value.Length > 0)
                {
                    Error(section.Path, "expected an object of destinations keyed by id");
                }

                return result;
            }

            var users = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var destination in section.GetChildren().OrderBy(d => d.Key, StringComparer.Ordinal))
            {
                var valid = CheckId(destination, "destination");
                if (!IsObject(destination, "an object with Name and Push and/or Pull"))
                {
                    continue;
                }

                WarnUnknownKeys(destination, DestinationKeys);
                var name = NullIfBlank(ReadValue(destination, "Name", ref valid));
                if (name is null)
                {
                    Warn(destination.GetSection("Name").Path, "the destination has no Name; operators will see only its id");
                }

                var pushSection = destination.GetSection("Push");
                var pullSection = destination.GetSection("Pull");
                var push = pushSection.Exists() ? ReadPush(pushSection, ref valid) : null;
                var pull = pullSection.Exists() ? ReadPull(destination.Key, pullSection, users, ref valid) : null;
                if (!pushSection.Exists() && !pullSection.Exists())
                {
                    Warn(destination.Path, "the destination has neither Push nor Pull; it receives nothing");
                }

                if (valid)
                {
                    result.Add(new DestinationConfig { Id = destination.Key, Name = name, Push = push, Pull = pull });
                }
            }

            return result;
        }

        private PushConfig? ReadPush(IConfigurationSection push, ref bool valid)
        {
            if (!IsObject(push, "an object with Url, Username and Password"))
            {
                valid = false;
                return null;
            }

            WarnUnknownKeys(push, PushKeys);
            var url = ReadValue(push, "Url", ref valid);
            var username = NullIfBlank(ReadValue(push, "Username", ref valid));
            var password = NullIfEmpty(ReadValue(push, "Password", ref valid));
            var transport = NullIfBlank(ReadValue(push, "Transport", ref valid));
            var urlKey = push.GetSection("Url").Path;
            if (string.IsNullOrWhiteSpace(url))
            {
                Error(urlKey, "Url is missing; give the center's rtsp:// URL template, e.g. rtsp://media.cou.local:8554/{school}/{camera}");
                valid = false;
            }
            else if (CheckUrlTemplate(url.Trim()) is { } problem)
            {
                Error(urlKey, problem);
                valid = false;
            }

            if (password is not null && username is null)
            {
                Error(push.GetSection("Password").Path, "Password is given without Username");
                valid = false;
            }

            if (transport is not null && !string.Equals(transport, "tcp", StringComparison.OrdinalIgnoreCase))
            {
                Error(push.GetSection("Transport").Path, $"unknown push transport '{Quote(transport)}'; only tcp (interleaved) is supported");
                valid = false;
            }

            return valid ? new PushConfig { Url = url!.Trim(), Username = username, Password = password } : null;
        }

        /// <summary>Null when <paramref name="template"/> is a usable push URL template, else why not.</summary>
        internal static string? CheckUrlTemplate(string template)
        {
            if (!template.StartsWith("rtsp://", StringComparison.OrdinalIgnoreCase))
            {
                return $"'{Quote(template)}' is not an rtsp:// URL";
            }

            var unknown = new List<string>();
            var open = -1;
            for (var i = 0; i < template.Length; i++)
            {
                if (template[i] == '{')
                {
                    if (open >= 0)
                    {
                        return "unbalanced '{' in the URL template";
                    }

                    open = i;
                }
                else if (template[i] == '}')
                {
                    if (open < 0)
                    {
                        return "unbalanced '}' in the URL template";
                    }

                    var name = template[(open + 1)..i];
                    if (!PushConfig.Placeholders.Contains(name, StringComparer.Ordinal))
                    {
                        unknown.Add("{" + name + "}");
                    }

                    open = -1;
                }
            }

            if (open >= 0)
            {
                return "unbalanced '{' in the URL template";
            }

            if (unknown.Count > 0)
            {
                return $"unknown placeholder{(unknown.Count > 1 ? "s" : string.Empty)} {string.Join(", ", unknown.Select(Quote))}; use {{school}}, {{camera}} and {{district}}";
            }

            var sample = PushConfig.Expand(template, "school", "camera", "district");
            if (!Uri.TryCreate(sample, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
            {
                return $"'{Quote(template)}' is not a valid URL";
            }

            if (!string.IsNullOrEmpty(uri.UserInfo))
            {
                return "the URL contains credentials; give them in Username and Password";
            }

            return null;
        }

        private PullConfig? ReadPull(string destinationId, IConfigurationSection pull, Dictionary<string, string> seenUsers, ref bool valid)
        {
            if (!IsObject(pull, "an object with Users"))
            {
                valid = false;
                return null;
            }

            WarnUnknownKeys(pull, PullKeys);
            var allowBasic = false;
            var rawBasic = ReadValue(pull, "AllowBasic", ref valid);
            if (rawBasic is not null && !bool.TryParse(rawBasic.Trim(), out allowBasic))
            {
                Error(pull.GetSection("AllowBasic").Path, $"'{Quote(rawBasic)}' is not true or false");
                valid = false;
            }

            var users = new List<PullUserConfig>();
            var usersSection = pull.GetSection("Users");
            var userSections = usersSection.GetChildren().OrderBy(u => u.Key, StringComparer.Ordinal).ToList();
            if (userSections.Count == 0)
            {
                Warn(usersSection.Path, "the destination has no Pull users; nobody can pull for it");
            }

            foreach (var user in userSections)
            {
                var userValid = CheckId(user, "user");
                if (!IsObject(user, "an object with Password or PasswordHash"))
                {
                    valid = false;
                    continue;
                }

                WarnUnknownKeys(user, PullUserKeys);
                var password = NullIfEmpty(ReadValue(user, "Password", ref userValid));
                var hash = NullIfBlank(ReadValue(user, "PasswordHash", ref userValid));
                string? ha1 = null;
                if (password is not null && hash is not null)
                {
                    Error(user.Path, "both Password and PasswordHash are given; give one");
                    userValid = false;
                }
                else if (password is not null)
                {
                    ha1 = Protocols.Auth.DigestServer.ComputeHa1(user.Key, Publish.Access.PullAccessPolicy.Realm, password);
                }
                else if (hash is not null)
                {
                    if (Protocols.Auth.DigestServer.IsHa1(hash))
                    {
                        ha1 = hash.ToLowerInvariant();
                    }
                    else
                    {
                        // Never quote it: a password pasted into the wrong key would reach the log.
                        Error(user.GetSection("PasswordHash").Path, $"PasswordHash must be 32 hex digits: MD5 of \"{user.Key}:{Publish.Access.PullAccessPolicy.Realm}:password\"");
                        userValid = false;
                    }
                }
                else
                {
                    Error(user.Path, "the user has neither Password nor PasswordHash");
                    userValid = false;
                }

                if (seenUsers.TryGetValue(user.Key, out var other))
                {
                    Error(user.Path, $"user '{Quote(user.Key)}' is already a user of destination '{Quote(other)}'; a user belongs to one destination");
                    userValid = false;
                }
                else
                {
                    seenUsers[user.Key] = destinationId;
                }

                if (userValid)
                {
                    users.Add(new PullUserConfig { Name = user.Key, Ha1 = ha1! });
                }
                else
                {
                    valid = false;
                }
            }

            return valid ? new PullConfig { Users = users, AllowBasic = allowBasic } : null;
        }

        private List<DistrictConfig> ReadDistricts(IConfigurationSection section)
        {
            var result = new List<DistrictConfig>();
            foreach (var district in section.GetChildren().OrderBy(d => d.Key, StringComparer.Ordinal))
            {
                var valid = true;
                if (!IsObject(district, "an object with Destinations"))
                {
                    continue;
                }

                WarnUnknownKeys(district, DistrictKeys);
                var routes = ReadIdList(district, "Destinations", ref valid);
                if (valid)
                {
                    result.Add(new DistrictConfig { Id = district.Key, Destinations = routes });
                }
            }

            return result;
        }

        private AuditConfig ReadAudit(IConfigurationSection audit, bool anyDestination)
        {
            var valid = true;
            WarnUnknownKeys(audit, AuditKeys);
            var path = NullIfBlank(ReadValue(audit, "Path", ref valid));
            if (path is not null && path.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
            {
                Error(audit.GetSection("Path").Path, "the audit path contains characters a path cannot hold");
            }

            return new AuditConfig { Enabled = audit.Exists() || anyDestination, Path = path ?? AuditConfig.DefaultPath };
        }

        /// <summary>Unknown destination ids are errors; with destinations configured, schools routed nowhere are warnings.</summary>
        private void CheckRoutes(IConfigurationSection gateway, GatewayConfig config)
        {
            var known = config.Destinations.Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
            var declared = gateway.GetSection("Destinations").GetChildren().Select(d => d.Key).ToHashSet(StringComparer.Ordinal);
            void CheckIds(IConfigurationSection owner, IReadOnlyList<string> ids)
            {
                for (var i = 0; i < ids.Count; i++)
                {
                    // A destination that failed validation has its own errors; do not call it unknown.
                    if (!known.Contains(ids[i]) && !declared.Contains(ids[i]))
                    {
                        var hint = known.Count == 0 ? "no destinations are configured" : $"known: {string.Join(", ", known.Order(StringComparer.Ordinal).Select(Quote))}";
                        Error(owner.GetSection("Destinations").GetSection(i.ToString(CultureInfo.InvariantCulture)).Path, $"unknown destination '{Quote(ids[i])}'; {hint}");
                    }
                }
            }

            foreach (var school in config.Schools)
            {
                CheckIds(gateway.GetSection("Schools").GetSection(school.Id), school.Destinations);
            }

            var districtsInUse = config.Schools.Select(s => s.District).OfType<string>().ToHashSet(StringComparer.Ordinal);
            foreach (var district in config.Districts)
            {
                var section = gateway.GetSection("Districts").GetSection(district.Id);
                CheckIds(section, district.Destinations);
                if (!districtsInUse.Contains(district.Id))
                {
                    Warn(section.Path, $"no school has District '{Quote(district.Id)}'; this route applies to nothing");
                }
            }

            if (declared.Count == 0)
            {
                return;
            }

            foreach (var school in config.Schools)
            {
                var routes = config.RoutesOf(school);
                if (routes.Count == 0)
                {
                    Warn(gateway.GetSection("Schools").GetSection(school.Id).GetSection("Destinations").Path, "the school is routed to no destination; no operations center receives it");
                }

                foreach (var id in routes)
                {
                    if (config.FindDestination(id)?.Push is { } push && school.District is null && push.Url.Contains("{district}", StringComparison.Ordinal))
                    {
                        Error(gateway.GetSection("Schools").GetSection(school.Id).GetSection("District").Path, $"destination '{Quote(id)}' pushes to a URL with {{district}} but the school has no District");
                    }
                }
            }
        }

        /// <summary>A JSON list of ids (<c>["a", "b"]</c>), in order; absent or empty gives an empty list.</summary>
        private List<string> ReadIdList(IConfigurationSection parent, string key, ref bool valid)
        {
            var section = parent.GetSection(key);
            var result = new List<string>();
            if (section.Value is not null && !section.GetChildren().Any())
            {
                if (section.Value.Length > 0)
                {
                    Error(section.Path, $"expected a list of ids, e.g. [\"{Quote(section.Value)}\"]");
                    valid = false;
                }

                return result;
            }

            var items = section.GetChildren()
                .Select(c => (Index: int.TryParse(c.Key, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1, Section: c))
                .OrderBy(c => c.Index)
                .ToList();
            foreach (var (index, item) in items)
            {
                if (index < 0 || item.Value is null || item.GetChildren().Any())
                {
                    Error(item.Path, "expected a list of ids (strings)");
                    valid = false;
                    continue;
                }

                var id = item.Value.Trim();
                if (!result.Contains(id, StringComparer.Ordinal))
                {
                    result.Add(id);
                }
            }

            return result;
        }

        /// <summary>Reads <c>Gateway:Recording</c>; every bad value is its own error.</summary>
        private RecordingSettings ReadRecording(IConfigurationSection gateway)
        {
            var section = gateway.GetSection("Recording");
            var defaults = RecordingSettings.Default;
            if (!section.Exists())
            {
                return defaults;
            }

            WarnUnknownKeys(section, RecordingSettings.Keys);
            var valid = true;
            var rawPath = ReadValue(section, "Path", ref valid);
            var path = defaults.Path;
            if (rawPath is not null)
            {
                if (string.IsNullOrWhiteSpace(rawPath) || rawPath.AsSpan().IndexOfAny(System.IO.Path.GetInvalidPathChars()) >= 0)
                {
                    Error(section.GetSection("Path").Path, $"'{Quote(rawPath)}' is not a usable directory path");
                }
                else
                {
                    path = rawPath.Trim();
                }
            }

            var enabled = ReadBool(section, "Enabled", defaults.Enabled);
            var segment = ReadInt(section, "SegmentSeconds", defaults.SegmentSeconds, RecordingSettings.MinSegmentSeconds, RecordingSettings.MaxSegmentSeconds, "seconds");
            var retention = ReadInt(section, "RetentionDays", defaults.RetentionDays, 1, 36500, "days");
            int? maxDays = section.GetSection("MaxDays").Value is null ? null : ReadInt(section, "MaxDays", 0, 1, 36500, "days");
            if (maxDays is > 0 && maxDays < retention)
            {
                Error(section.GetSection("MaxDays").Path, $"MaxDays ({maxDays}) is shorter than RetentionDays ({retention}); the retention floor would be broken");
            }

            return new RecordingSettings
            {
                Path = path,
                Enabled = enabled,
                SegmentSeconds = segment,
                RetentionDays = retention,
                MaxDays = maxDays is > 0 ? maxDays : null,
            };
        }

        /// <summary>Reads <c>Gateway:Relay</c>; every bad value is its own error.</summary>
        private RelaySettings ReadRelay(IConfigurationSection gateway)
        {
            var section = gateway.GetSection("Relay");
            var defaults = RelaySettings.Default;
            if (!section.Exists())
            {
                return defaults;
            }

            WarnUnknownKeys(section, RelaySettings.Keys);
            return new RelaySettings
            {
                GopCache = ReadBool(section, "GopCache", defaults.GopCache),
                GopCacheMaxMegabytes = ReadInt(section, "GopCacheMaxMegabytes", defaults.GopCacheMaxMegabytes, 1, RelaySettings.MaxGopCacheMegabytes, "MiB"),
            };
        }

        /// <summary>Reads <c>Recording:Enabled</c> under a school or camera; absent means inherited.</summary>
        private bool ReadRecordingEnabled(IConfigurationSection owner, bool inherited)
        {
            var section = owner.GetSection("Recording");
            if (!section.Exists())
            {
                return inherited;
            }

            WarnUnknownKeys(section, RecordingSettings.OverrideKeys);
            return ReadBool(section, "Enabled", inherited);
        }

        private bool ReadBool(IConfigurationSection section, string key, bool inherited)
        {
            var valid = true;
            var raw = ReadValue(section, key, ref valid);
            if (raw is null || !valid)
            {
                return inherited;
            }

            if (!bool.TryParse(raw.Trim(), out var value))
            {
                Error(section.GetSection(key).Path, $"'{Quote(raw)}' is not true or false");
                return inherited;
            }

            return value;
        }

        private int ReadInt(IConfigurationSection section, string key, int inherited, int min, int max, string unit)
        {
            var valid = true;
            var raw = ReadValue(section, key, ref valid);
            if (raw is null || !valid)
            {
                return inherited;
            }

            if (!int.TryParse(raw.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
            {
                Error(section.GetSection(key).Path, $"'{Quote(raw)}' is not a whole number of {unit} from {min} to {max}");
                return inherited;
            }

            return value;
        }

        /// <summary>Reads <c>Reconnect</c> under <paramref name="owner"/>: each key given overrides the inherited one.</summary>
        private ReconnectSettings ReadReconnect(IConfigurationSection owner, ReconnectSettings inherited)
        {
            var section = owner.GetSection("Reconnect");
            if (!section.Exists())
            {
                return inherited;
            }

            WarnUnknownKeys(section, ReconnectSettings.Keys);
            var result = inherited with
            {
                FastRetryInterval = ReadSeconds(section, "FastRetryInterval", inherited.FastRetryInterval, 0.1, 60),
                FastRetryWindow = ReadSeconds(section, "FastRetryWindow", inherited.FastRetryWindow, 0, 3600),
                MaxDelay = ReadSeconds(section, "MaxDelay", inherited.MaxDelay, 1, 3600),
                AttemptTimeout = ReadSeconds(section, "AttemptTimeout", inherited.AttemptTimeout, 1, 300),
                StallTimeout = ReadSeconds(section, "StallTimeout", inherited.StallTimeout, 1, 300),
            };
            if (result.MaxDelay < result.FastRetryInterval)
            {
                Error(section.GetSection("MaxDelay").Path, $"MaxDelay ({result.MaxDelay.TotalSeconds:0.###} s) is shorter than FastRetryInterval ({result.FastRetryInterval.TotalSeconds:0.###} s)");
            }

            return result;
        }

        private TimeSpan ReadSeconds(IConfigurationSection section, string key, TimeSpan inherited, double min, double max)
        {
            var valid = true;
            var raw = ReadValue(section, key, ref valid);
            if (raw is null || !valid)
            {
                return inherited;
            }

            if (!double.TryParse(raw.Trim(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
                || double.IsNaN(seconds) || seconds < min || seconds > max)
            {
                Error(section.GetSection(key).Path, $"'{Quote(raw)}' is not a number of seconds from {min} to {max}");
                return inherited;
            }

            return TimeSpan.FromSeconds(seconds);
        }

        private static bool TryParseTransport(string value, out CameraTransport transport)
        {
            // Not Enum.TryParse: it would also accept "1" or "Tcp, Udp".
            switch (value.Trim().ToUpperInvariant())
            {
                case "TCP":
                    transport = CameraTransport.Tcp;
                    return true;
                case "UDP":
                    transport = CameraTransport.Udp;
                    return true;
                case "AUTO":
                    transport = CameraTransport.Auto;
                    return true;
                default:
                    transport = CameraTransport.Auto;
                    return false;
            }
        }

        private int? ReadPort(IConfigurationSection listener, int defaultPort)
        {
            var valid = true;
            var raw = ReadValue(listener, "Port", ref valid);
            if (!valid)
            {
                return null;
            }

            if (raw is null)
            {
                return defaultPort;
            }

            var key = listener.GetSection("Port").Path;
            if (!int.TryParse(raw.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var port))
            {
                Error(key, $"'{Quote(raw)}' is not an integer port");
                return null;
            }

            if (port is < 0 or > IPEndPoint.MaxPort)
            {
                Error(key, $"port {port} is out of range 0..{IPEndPoint.MaxPort} (0 means any free port)");
                return null;
            }

            return port;
        }

        private string? ReadBindAddress(IConfigurationSection listener)
        {
            var valid = true;
            var raw = ReadValue(listener, "BindAddress", ref valid);
            if (!valid)
            {
                return null;
            }

            if (string.IsNullOrWhiteSpace(raw))
            {
                return DefaultBindAddress;
            }

            if (!IPAddress.TryParse(raw.Trim(), out var address))
            {
                Error(listener.GetSection("BindAddress").Path, $"'{Quote(raw)}' is not an IP address");
                return null;
            }

            return address.ToString();
        }

        /// <summary>A scalar value, or null when absent; an object where a value belongs is an error.</summary>
        private string? ReadValue(IConfigurationSection parent, string key, ref bool valid)
        {
            var section = parent.GetSection(key);
            if (section.Value is null && section.GetChildren().Any())
            {
                Error(section.Path, "expected a single value, found an object or a list");
                valid = false;
            }

            return section.Value;
        }

        private bool CheckId(IConfigurationSection section, string kind)
        {
            if (IsSafeId(section.Key))
            {
                return true;
            }

            Error(section.Path, $"{kind} id '{Quote(section.Key)}' is not URL-path safe; use 1..{MaxIdLength} letters, digits, '-', '_' or '.'");
            return false;
        }

        private bool IsObject(IConfigurationSection section, string expected)
        {
            if (section.Value is not null && !section.GetChildren().Any())
            {
                Error(section.Path, $"expected {expected}, found a single value");
                return false;
            }

            return true;
        }

        private void WarnUnknownKeys(IConfigurationSection section, string[] known)
        {
            foreach (var child in section.GetChildren())
            {
                if (!known.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
                {
                    var suggestion = known.FirstOrDefault(k => EditDistance(k.ToUpperInvariant(), child.Key.ToUpperInvariant()) <= 2);
                    var hint = suggestion is null ? $"known keys: {string.Join(", ", known)}" : $"did you mean '{suggestion}'?";
                    Warn(child.Path, $"unknown key '{Quote(child.Key)}' is ignored; {hint}");
                }
            }
        }

        private void Error(string key, string message) => Errors.Add(new ConfigDiagnostic(originOf(key), key, message));

        private void Warn(string key, string message) => Warnings.Add(new ConfigDiagnostic(originOf(key), key, message));

        private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

        private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

        // Small Levenshtein distance, only for "did you mean" on short key names.
        private static int EditDistance(string a, string b)
        {
            if (Math.Abs(a.Length - b.Length) > 2 || a.Length > 64 || b.Length > 64)
            {
                return int.MaxValue;
            }

            var previous = new int[b.Length + 1];
            var current = new int[b.Length + 1];
            for (var j = 0; j <= b.Length; j++)
            {
                previous[j] = j;
            }

            for (var i = 1; i <= a.Length; i++)
            {
                current[0] = i;
                for (var j = 1; j <= b.Length; j++)
                {
                    var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                    current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
                }

                (previous, current) = (current, previous);
            }

            return previous[b.Length];
        }
    }
}
