using StreamGateway.Configuration;

namespace StreamGateway.Tests.Configuration;

public class ConfigDiagnosticsPrinterTests
{
    [Fact]
    public void Prints_a_count_then_one_line_per_error_then_the_warnings()
    {
        var result = new ConfigLoadResult(
            null,
            [new ConfigDiagnostic("g.json", "Gateway:Rtsp:Port", "bad"), new ConfigDiagnostic("g.json", "Gateway:Http:Port", "worse"), new ConfigDiagnostic("g.json", string.Empty, "odd")],
            [new ConfigDiagnostic("g.json", "Gateway:Schools:s:Name", "missing")]);
        var writer = new StringWriter();

        ConfigDiagnosticsPrinter.Print(writer, result);

        var lines = writer.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(
            [
                "Configuration is invalid (3 errors):",
                "  error: g.json: Gateway:Rtsp:Port: bad",
                "  error: g.json: Gateway:Http:Port: worse",
                "  error: g.json: odd",
                "Configuration has 1 warning:",
                "  warning: g.json: Gateway:Schools:s:Name: missing",
            ],
            lines);
    }

    [Fact]
    public void Prints_nothing_for_a_clean_valid_config()
    {
        var writer = new StringWriter();

        ConfigDiagnosticsPrinter.Print(writer, new ConfigLoadResult(new GatewayConfig(), [], []));

        Assert.Equal(string.Empty, writer.ToString());
    }
}
