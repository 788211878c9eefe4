namespace Fleet.Coordinator.Yaml;

/// <summary>The YAML reader's syntax messages, kept only when they speak of YAML (never of .NET types).</summary>
internal static class YamlSyntax
{
    public static string Describe(string message) =>
        message.Contains("Fleet.", StringComparison.Ordinal) || message.Contains("System.", StringComparison.Ordinal) || message.Contains("deserializ", StringComparison.OrdinalIgnoreCase)
            ? "not valid YAML here"
            : message.TrimEnd('.');
}
