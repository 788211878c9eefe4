using Fleet.Coordinator.Kubernetes;
using Fleet.Testing;

namespace Fleet.Coordinator.Tests.Kubernetes;

/// <summary>--discovery-token-ca-cert-hash, checked against openssl's own computation of the same hash.</summary>
public sealed class CaCertHashTests : IAsyncLifetime
{
    private KubeHarness _k = null!;

    public async Task InitializeAsync() => _k = await KubeHarness.StartAsync();

    public async Task DisposeAsync() => await _k.DisposeAsync();

    /// <summary>kubeadm's documented recipe: openssl x509 -pubkey | openssl pkey -pubin -outform der | sha256sum.</summary>
    private async Task<string> OpensslHashAsync()
    {
        var pem = Path.Join(_k.Dir, "ca.crt");
        await File.WriteAllTextAsync(pem, _k.Api.CaCertificate.ExportCertificatePem());
        var run = await ProcessRun.RunAsync("bash", ["-c", $"openssl x509 -pubkey -noout -in '{pem}' | openssl pkey -pubin -outform der | sha256sum"]);
        Assert.True(run.Code == 0, run.Output);
        return "sha256:" + run.Stdout.Split(' ')[0];
    }

    [Fact]
    public async Task TheHashFromClusterInfo_IsOpensslsHash()
    {
        var expected = await OpensslHashAsync();
        Assert.Matches("^sha256:[0-9a-f]{64}$", expected);

        Assert.Equal(expected, await _k.Cluster.GetCaCertHashAsync(CancellationToken.None));
        Assert.Equal(expected, CaCertHash.Of(_k.Api.CaCertificate));
    }

    [Fact]
    public async Task WithoutClusterInfo_TheErrorSaysWhatIsMissing()
    {
        Assert.True(_k.Api.Delete("configmaps", "kube-public", "cluster-info"));

        var ex = await Assert.ThrowsAsync<KubernetesActionException>(() => _k.Cluster.GetCaCertHashAsync(CancellationToken.None));
        Assert.Equal("reading the cluster CA from kube-public/cluster-info: the ConfigMap does not exist (kubeadm init creates it; a token join needs it)", ex.Message);
    }
}
