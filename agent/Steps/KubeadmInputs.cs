using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Fleet.Agent.Steps;

/// <summary>
/// What kubeadm is given, checked before it runs: each check returns the problem (naming the field,
/// never showing a secret's value) or null. Nothing reaches kubeadm's command line unchecked, so no
/// value can be taken for an option.
/// </summary>
public static partial class KubeadmInputs
{
    public const string TokenRule = "[a-z0-9]{6}.[a-z0-9]{16}";

    public static string? Endpoint(string value)
    {
        if (value.Length == 0)
        {
            return "control_plane_endpoint: missing (host:port of the API server)";
        }

        var bad = $"control_plane_endpoint: \"{value}\" is not host:port (e.g. 10.0.0.1:6443, cp.example.lan:6443 or [fd00::1]:6443)";
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || !ushort.TryParse(value.AsSpan(colon + 1), System.Globalization.NumberStyles.None, null, out var port) || port == 0)
        {
            return bad;
        }

        var host = value[..colon];
        return host.StartsWith('[') && host.EndsWith(']')
            ? IPAddress.TryParse(host[1..^1], out var v6) && v6.AddressFamily == AddressFamily.InterNetworkV6 ? null : bad
            : HostName().IsMatch(host) ? null : bad;
    }

    /// <summary>The bootstrap token; its value is never part of the problem.</summary>
    public static string? Token(string value) =>
        value.Length == 0 ? "token: missing"
        : BootstrapToken().IsMatch(value) ? null
        : $"token: not a bootstrap token of the form {TokenRule} ({value.Length} characters; the value is a secret and is not shown)";

    public static string? CaCertHashes(IReadOnlyList<string> values)
    {
        if (values.Count == 0)
        {
            return "ca_cert_hashes: missing (Fleet never joins without checking the cluster CA)";
        }

        var bad = values.Where(h => !CaCertHash().IsMatch(h)).ToArray();
        return bad.Length == 0 ? null : $"ca_cert_hashes: {string.Join(", ", bad.Select(h => $"\"{h}\""))} is not sha256:<64 lowercase hex digits>";
    }

    /// <summary>The key for the uploaded control-plane certificates; its value is never part of the problem.</summary>
    public static string? CertificateKey(string value, bool controlPlane) =>
        value.Length == 0 ? null
        : !controlPlane ? "certificate_key: given, but control_plane is false (only a control-plane node fetches certificates)"
        : CertKey().IsMatch(value) ? null
        : $"certificate_key: not 64 lowercase hex digits ({value.Length} characters; the value is a secret and is not shown)";

    public static string? NodeName(string value) =>
        value.Length == 0 || NodeNames.IsValid(value) ? null : $"node_name: \"{value}\" is not a valid node name ({NodeNames.Rule})";

    /// <summary>A Kubernetes release, e.g. v1.12.5 or v1.30.0-rc.1.</summary>
    public static string? Version(string value, string field) =>
        value.Length == 0 ? $"{field}: missing (a Kubernetes version such as v1.12.5)"
        : KubernetesVersion().IsMatch(value) ? null
        : $"{field}: \"{value}\" is not a Kubernetes version such as v1.12.5";

    /// <summary>The secret half of a token (after the dot), which kubeadm may print on its own.</summary>
    public static string TokenSecret(string token) => token.IndexOf('.') is var dot and >= 0 ? token[(dot + 1)..] : token;

    [GeneratedRegex(@"^[a-z0-9]{6}\.[a-z0-9]{16}\z")]
    private static partial Regex BootstrapToken();

    [GeneratedRegex(@"^sha256:[0-9a-f]{64}\z")]
    private static partial Regex CaCertHash();

    [GeneratedRegex(@"^[0-9a-f]{64}\z")]
    private static partial Regex CertKey();

    [GeneratedRegex(@"^v\d{1,3}\.\d{1,3}\.\d{1,4}(-[0-9A-Za-z]+(\.[0-9A-Za-z]+)*)?\z")]
    private static partial Regex KubernetesVersion();

    /// <summary>A DNS name or an IPv4 address: labels of letters, digits and inner '-'.</summary>
    [GeneratedRegex(@"^(?=.{1,253}\z)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\z")]
    private static partial Regex HostName();
}
