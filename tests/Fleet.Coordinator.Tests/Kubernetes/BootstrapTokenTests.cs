using System.Text;
using System.Text.RegularExpressions;
using Fleet.Coordinator.Kubernetes;
using Fleet.Testing;

namespace Fleet.Coordinator.Tests.Kubernetes;

public sealed partial class BootstrapTokenTests : IAsyncLifetime
{
    private KubeHarness _k = null!;

    public async Task InitializeAsync() => _k = await KubeHarness.StartAsync();

    public async Task DisposeAsync() => await _k.DisposeAsync();

    [Fact]
    public async Task CreateAndDelete_TheSecretHasKubeadmsExactFields()
    {
        var before = DateTimeOffset.UtcNow;
        var token = await _k.Cluster.CreateBootstrapTokenAsync(TimeSpan.FromMinutes(15), "fleet join of pi-4", CancellationToken.None);

        Assert.Matches(IdPattern(), token.Id);
        Assert.Matches(SecretPattern(), token.Secret);
        Assert.Equal($"{token.Id}.{token.Secret}", token.Value);
        Assert.Equal($"{token.Id}.<redacted>", token.ToString());
        Assert.InRange(token.Expires, before.AddMinutes(15).AddSeconds(-1), DateTimeOffset.UtcNow.AddMinutes(15));

        var secret = _k.Api.Secret("kube-system", $"bootstrap-token-{token.Id}");
        Assert.NotNull(secret);
        Assert.Equal("bootstrap.kubernetes.io/token", secret["type"]!.GetValue<string>());
        Assert.Null(secret["stringData"]); // folded into data by the API server
        var data = secret["data"]!.AsObject().ToDictionary(kv => kv.Key, kv => Encoding.UTF8.GetString(Convert.FromBase64String(kv.Value!.GetValue<string>())));
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["description"] = "fleet join of pi-4",
                ["token-id"] = token.Id,
                ["token-secret"] = token.Secret,
                ["expiration"] = token.Expires.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
                ["usage-bootstrap-authentication"] = "true",
                ["usage-bootstrap-signing"] = "true",
                ["auth-extra-groups"] = "system:bootstrappers:kubeadm:default-node-token",
            },
            data);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", data["expiration"]); // RFC 3339, UTC

        await _k.Cluster.DeleteBootstrapTokenAsync(token.Id, CancellationToken.None);
        Assert.Null(_k.Api.Secret("kube-system", $"bootstrap-token-{token.Id}"));
        Assert.Contains($"secrets kube-system/bootstrap-token-{token.Id}", _k.Api.Deletions);

        await _k.Cluster.DeleteBootstrapTokenAsync(token.Id, CancellationToken.None); // already gone: fine
    }

    [Fact]
    public async Task TwoTokens_AreDifferent()
    {
        var a = await _k.Cluster.CreateBootstrapTokenAsync(TimeSpan.FromMinutes(5), "a", CancellationToken.None);
        var b = await _k.Cluster.CreateBootstrapTokenAsync(TimeSpan.FromMinutes(5), "b", CancellationToken.None);
        Assert.NotEqual(a.Id, b.Id);
        Assert.NotEqual(a.Secret, b.Secret);
    }

    [Fact]
    public async Task DeleteWithAMalformedId_IsRefusedBeforeAnyCall()
    {
        var ex = await Assert.ThrowsAsync<KubernetesActionException>(() => _k.Cluster.DeleteBootstrapTokenAsync("../x", CancellationToken.None));
        Assert.Contains("is not a bootstrap token id", ex.Message);
        Assert.Empty(_k.Api.Deletions);
    }

    [GeneratedRegex("^[a-z0-9]{6}$")]
    private static partial Regex IdPattern();

    [GeneratedRegex("^[a-z0-9]{16}$")]
    private static partial Regex SecretPattern();
}
