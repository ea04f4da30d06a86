using System.Globalization;
using System.Text;
using System.Text.Json;

namespace StreamGateway.Configuration;

/// <summary>
/// Reads a JSON config file into flat .NET configuration keys ("Gateway:Rtsp:Port"), the way the
/// JSON configuration provider does, but reports problems instead of throwing: syntax errors with
/// line and position, and keys repeated in one object. .NET configuration keys are
/// case-insensitive, so "Entrance" and "entrance" in one object are the same camera given twice; the
/// stock provider would keep one silently or fail with no file position, hence the raw reader.
/// </summary>
internal static class JsonConfigReader
{
    /// <summary>Deeper nesting than any sane gateway config; bounds the reader.</summary>
    public const int MaxDepth = 32;

    /// <summary>Bigger than any sane gateway config (thousands of cameras); bounds memory.</summary>
    public const long MaxFileBytes = 16 * 1024 * 1024;

    public static Dictionary<string, string?>? Read(string path, List<ConfigDiagnostic> errors)
    {
        byte[] bytes;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                errors.Add(new ConfigDiagnostic(path, string.Empty, "configuration file not found"));
                return null;
            }

            if (info.Length > MaxFileBytes)
            {
                errors.Add(new ConfigDiagnostic(path, string.Empty, $"configuration file is larger than {MaxFileBytes} bytes"));
                return null;
            }

            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            var reason = ex is FileNotFoundException or DirectoryNotFoundException ? "configuration file not found" : $"cannot read configuration file: {ex.GetType().Name}";
            errors.Add(new ConfigDiagnostic(path, string.Empty, reason));
            return null;
        }

        return Parse(bytes, path, errors);
    }

    public static Dictionary<string, string?>? Parse(ReadOnlySpan<byte> json, string file, List<ConfigDiagnostic> errors)
    {
        if (json.StartsWith(Encoding.UTF8.Preamble))
        {
            json = json[Encoding.UTF8.Preamble.Length..];
        }

        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var duplicates = new List<ConfigDiagnostic>();
        var reader = new Utf8JsonReader(json, new JsonReaderOptions
        {
            CommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
            MaxDepth = MaxDepth,
        });

        var frames = new Stack<Frame>();
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                errors.Add(new ConfigDiagnostic(file, string.Empty, "the top level of the configuration file must be a JSON object"));
                return null;
            }

            frames.Push(new Frame(string.Empty, isArray: false));
            while (frames.Count > 0 && reader.Read())
            {
                var top = frames.Peek();
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        var name = reader.GetString()!;
                        top.Empty = false;
                        if (top.Names!.TryGetValue(name, out var first))
                        {
                            var key = Combine(top.Path, name);
                            var message = string.Equals(first, name, StringComparison.Ordinal)
                                ? $"key '{name}' appears more than once in the same object"
                                : $"key '{name}' repeats '{first}' (keys are compared ignoring case)";
                            duplicates.Add(new ConfigDiagnostic(file, key, message));
                        }
                        else
                        {
                            top.Names.Add(name, name);
                        }

                        top.PendingName = name;
                        break;
                    case JsonTokenType.StartObject:
                    case JsonTokenType.StartArray:
                        var childPath = top.NextKey();
                        frames.Push(new Frame(childPath, reader.TokenType == JsonTokenType.StartArray));
                        break;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        var done = frames.Pop();
                        if (done.Empty && done.Path.Length > 0)
                        {
                            // Same as the stock provider: an empty object or array is a key with no value.
                            data[done.Path] = null;
                        }

                        break;
                    case JsonTokenType.String:
                        data[top.NextKey()] = reader.GetString();
                        break;
                    case JsonTokenType.Number:
                        data[top.NextKey()] = Encoding.UTF8.GetString(reader.ValueSpan);
                        break;
                    case JsonTokenType.True:
                        data[top.NextKey()] = bool.TrueString;
                        break;
                    case JsonTokenType.False:
                        data[top.NextKey()] = bool.FalseString;
                        break;
                    case JsonTokenType.Null:
                        data[top.NextKey()] = null;
                        break;
                }
            }

            // Anything after the root object is a syntax error the reader reports on the next Read.
            while (reader.Read())
            {
            }
        }
        catch (JsonException ex)
        {
            var line = (ex.LineNumber ?? 0) + 1;
            var position = (ex.BytePositionInLine ?? 0) + 1;
            errors.Add(new ConfigDiagnostic(file, string.Empty, $"invalid JSON at line {line.ToString(CultureInfo.InvariantCulture)}, position {position.ToString(CultureInfo.InvariantCulture)}: {Describe(ex)}"));
            return null;
        }

        errors.AddRange(duplicates);
        return data;
    }

    // The reader's message ends with its own "LineNumber: .. | BytePositionInLine: .." which we already
    // give in friendlier form; it quotes at most a character or a literal, and we redact anyway.
    private static string Describe(JsonException ex)
    {
        var message = ex.Message;
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return SecretRedactor.RedactUrl(cut >= 0 ? message[..cut].TrimEnd() : message);
    }

    private static string Combine(string parent, string child) => parent.Length == 0 ? child : parent + ConfigurationPath.KeyDelimiter + child;

    private sealed class Frame(string path, bool isArray)
    {
        public string Path { get; } = path;

        public Dictionary<string, string>? Names { get; } = isArray ? null : new(StringComparer.OrdinalIgnoreCase);

        public string? PendingName { get; set; }

        public int Index { get; set; }

        public bool Empty { get; set; } = true;

        public string NextKey()
        {
            Empty = false;
            if (Names is null)
            {
                return Combine(Path, (Index++).ToString(CultureInfo.InvariantCulture));
            }

            return Combine(Path, PendingName!);
        }
    }
}
