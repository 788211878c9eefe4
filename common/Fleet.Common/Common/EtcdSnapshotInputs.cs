using System.Globalization;
using System.Text.RegularExpressions;

namespace Fleet;

/// <summary>
/// The inputs of an etcd snapshot (plan step `etcd-snapshot`, the agent's EtcdSnapshotStep): one set of
/// rules, checked by the plan parser when a plan is read and again by the agent before anything runs.
/// Each check returns the problem (naming the input and its value) or null; an empty value means the default.
/// </summary>
public static partial class EtcdSnapshotInputs
{
    public const string DefaultEndpoint = "https://127.0.0.1:2379";
    public const string DefaultCertDir = "/etc/kubernetes/pki/etcd";

    /// <summary>The default folder is STATE_DIR/etcd-snapshots (/var/lib/fleet-agent/etcd-snapshots).</summary>
    public const string DefaultDirName = "etcd-snapshots";

    public const int DefaultKeep = 3;

    /// <summary>More than this many snapshots kept is a typo, not a policy (each is the whole etcd database).</summary>
    public const int MaxKeep = 100;

    /// <summary>https://host:port and nothing else: no credentials, no path, no query (etcdctl would take them as given).</summary>
    public static string? EndpointProblem(string endpoint) =>
        endpoint.Length == 0 ? null
        : EndpointPattern().Match(endpoint) is { Success: true } m && int.Parse(m.Groups["port"].Value, CultureInfo.InvariantCulture) is >= 1 and <= 65535 ? null
        : $"endpoint: \"{Shown(endpoint)}\" is not https://host:port (no credentials, no path; e.g. {DefaultEndpoint})";

    /// <summary>An absolute node path without "..", and without control characters or a comma (etcdctl splits some flags on commas).</summary>
    public static string? PathProblem(string key, string path) =>
        path.Length == 0 ? null
        : path.Any(c => char.IsControl(c) || c == ',') ? $"{key}: \"{Shown(path)}\" holds a control character or a comma"
        : NodePath.Problem(path) is { } problem ? $"{key}: {problem}"
        : null;

    /// <summary>0 means <see cref="DefaultKeep"/>.</summary>
    public static string? KeepProblem(long keep) =>
        keep is < 0 or > MaxKeep ? $"keep: {keep} is not from 1 to {MaxKeep} (0 or nothing: {DefaultKeep})" : null;

    /// <summary>Every problem of a snapshot's inputs, each prefixed with <paramref name="at"/> ("steps[2].etcd-snapshot.").</summary>
    public static IEnumerable<string> Problems(string at, string endpoint, string dir, long keep, string certDir) =>
        new[] { EndpointProblem(endpoint), PathProblem("dir", dir), KeepProblem(keep), PathProblem("certDir", certDir) }
            .OfType<string>()
            .Select(p => at + p);

    private static string Shown(string value) => value.Length <= 200 ? value : value[..200] + "…";

    [GeneratedRegex(@"\Ahttps://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.\-]{0,251}[A-Za-z0-9])?):(?<port>[0-9]{1,5})\z")]
    private static partial Regex EndpointPattern();
}
