using System.Globalization;
using System.Security.Cryptography;
using k8s.Models;

namespace Fleet.Coordinator.Kubernetes;

/// <summary>
/// Bootstrap tokens as kubeadm makes them: id [a-z0-9]{6}, secret [a-z0-9]{16}, stored as a Secret of type
/// bootstrap.kubernetes.io/token named bootstrap-token-&lt;id&gt; in kube-system.
/// </summary>
public static class BootstrapTokenSecret
{
    public const string Namespace = "kube-system";
    public const string Type = "bootstrap.kubernetes.io/token";
    public const string Group = "system:bootstrappers:kubeadm:default-node-token";
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    public static string NameOf(string tokenId) => $"bootstrap-token-{tokenId}";

    public static bool IsValidId(string tokenId) => tokenId.Length == 6 && tokenId.All(c => Alphabet.Contains(c, StringComparison.Ordinal));

    public static BootstrapToken NewToken(DateTimeOffset expires) =>
        new(RandomNumberGenerator.GetString(Alphabet, 6), RandomNumberGenerator.GetString(Alphabet, 16), expires);

    public static V1Secret For(BootstrapToken token, string description) => new()
    {
        ApiVersion = "v1",
        Kind = "Secret",
        Metadata = new V1ObjectMeta { Name = NameOf(token.Id), NamespaceProperty = Namespace },
        Type = Type,
        StringData = new Dictionary<string, string>
        {
            ["description"] = description,
            ["token-id"] = token.Id,
            ["token-secret"] = token.Secret,
            ["expiration"] = token.Expires.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["usage-bootstrap-authentication"] = "true",
            ["usage-bootstrap-signing"] = "true",
            ["auth-extra-groups"] = Group,
        },
    };
}
