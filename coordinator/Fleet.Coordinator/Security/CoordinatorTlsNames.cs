namespace Fleet.Coordinator.Security;

/// <summary>
/// The names the coordinator's own TLS certificate carries (localhost, 127.0.0.1, ::1, the host name,
/// the --listen address, every --tls-san). No node may enroll under one of them: agents accept only a
/// serverAuth certificate anyway (a node's is clientAuth only), and a node named like the coordinator
/// would still confuse every log line and listing that names both.
/// </summary>
public sealed class CoordinatorTlsNames(IEnumerable<string> names)
{
    public IReadOnlyList<string> Names { get; } = names.Distinct(StringComparer.OrdinalIgnoreCase).ToList();

    /// <summary>Why <paramref name="nodeName"/> may not be a node's name; null when it may.</summary>
    public string? Problem(string nodeName) =>
        Names.Contains(nodeName, StringComparer.OrdinalIgnoreCase)
            ? $"\"{nodeName}\" is one of the coordinator's own TLS names, never a node's: enroll the node under another name (fleet-agent enroll --name)"
            : null;
}
