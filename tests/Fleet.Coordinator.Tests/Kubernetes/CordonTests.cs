using Fleet.Coordinator.Kubernetes;
using Fleet.Testing;

namespace Fleet.Coordinator.Tests.Kubernetes;

/// <summary>Cordon marks what Fleet cordoned; uncordon touches only that.</summary>
public sealed class CordonTests : IAsyncLifetime
{
    private KubeHarness _k = null!;

    public async Task InitializeAsync() => _k = await KubeHarness.StartAsync();

    public async Task DisposeAsync() => await _k.DisposeAsync();

    private bool Unschedulable(string node) => _k.Api.Node(node)!["spec"]?["unschedulable"]?.GetValue<bool>() == true;

    private string? Annotation(string node) => _k.Api.Node(node)!["metadata"]!["annotations"]?[KubeLabels.CordonedBy]?.GetValue<string>();

    [Fact]
    public async Task CordonThenUncordon_MarksTheNode_AndRemovesTheMarkAgain()
    {
        _k.Api.AddNode("worker-1");

        Assert.Equal(CordonOutcome.Cordoned, await _k.Cluster.CordonAsync("worker-1", CancellationToken.None));
        Assert.True(Unschedulable("worker-1"));
        Assert.Equal("fleet", Annotation("worker-1"));
        var cordon = Assert.Single(_k.Api.Patches);
        Assert.Equal(("application/strategic-merge-patch+json", 200), (cordon.ContentType, cordon.StatusCode));
        Assert.Contains("\"resourceVersion\"", cordon.Body); // a conditional update
        var nodes = await _k.Cluster.ListNodesAsync(CancellationToken.None);
        Assert.True(Assert.Single(nodes).CordonedByFleet);

        // Again (a coordinator that restarted mid-rollout): nothing changes.
        Assert.Equal(CordonOutcome.AlreadyCordonedByFleet, await _k.Cluster.CordonAsync("worker-1", CancellationToken.None));
        Assert.Single(_k.Api.Patches);

        Assert.Equal(UncordonOutcome.Uncordoned, await _k.Cluster.UncordonAsync("worker-1", CancellationToken.None));
        Assert.False(Unschedulable("worker-1"));
        Assert.Null(Annotation("worker-1"));
        var uncordon = _k.Api.Patches[^1];
        Assert.Equal(("application/json-patch+json", 200), (uncordon.ContentType, uncordon.StatusCode));
        Assert.Contains("\"op\":\"test\"", uncordon.Body);

        Assert.Equal(UncordonOutcome.NotCordoned, await _k.Cluster.UncordonAsync("worker-1", CancellationToken.None));
        Assert.Equal(2, _k.Api.Patches.Count);
    }

    [Fact]
    public async Task ANodeAnOperatorCordoned_StaysCordoned_AfterFleetsCordonAndUncordon()
    {
        _k.Api.AddNode("worker-2");
        _k.Api.CordonAsOperator("worker-2");

        Assert.Equal(CordonOutcome.AlreadyCordonedByOperator, await _k.Cluster.CordonAsync("worker-2", CancellationToken.None));
        Assert.Null(Annotation("worker-2"));
        Assert.Equal(UncordonOutcome.LeftCordonedByOperator, await _k.Cluster.UncordonAsync("worker-2", CancellationToken.None));

        Assert.True(Unschedulable("worker-2"));
        Assert.Null(Annotation("worker-2"));
        Assert.Empty(_k.Api.Patches); // Fleet wrote nothing to that node
    }

    [Fact]
    public async Task AnOperatorCordoningBetweenFleetsReadAndWrite_WinsTheRace()
    {
        _k.Api.AddNode("worker-3");
        var node = await _k.Cluster.ListNodesAsync(CancellationToken.None);
        var staleVersion = Assert.Single(node).ResourceVersion;
        _k.Api.CordonAsOperator("worker-3"); // changes the resourceVersion

        // What Fleet's cordon sends, on the version it read before the operator's change: refused with 409.
        using var http = new HttpClient(TestTlsFor(_k.Api)) { BaseAddress = _k.Api.Url };
        http.DefaultRequestHeaders.Authorization = new("Bearer", _k.Api.Token);
        using var body = new StringContent(
            $$$"""{"metadata":{"resourceVersion":"{{{staleVersion}}}","annotations":{"fleet.io/cordoned-by":"fleet"}},"spec":{"unschedulable":true}}""",
            System.Text.Encoding.UTF8, "application/strategic-merge-patch+json");
        using var response = await http.PatchAsync("/api/v1/nodes/worker-3", body);
        Assert.Equal(System.Net.HttpStatusCode.Conflict, response.StatusCode);

        // Fleet itself reads again and leaves the operator's cordon alone.
        Assert.Equal(CordonOutcome.AlreadyCordonedByOperator, await _k.Cluster.CordonAsync("worker-3", CancellationToken.None));
        Assert.Null(Annotation("worker-3"));
    }

    [Fact]
    public async Task CordonOfAnUnknownNode_SaysSo()
    {
        var ex = await Assert.ThrowsAsync<KubernetesActionException>(() => _k.Cluster.CordonAsync("ghost", CancellationToken.None));
        Assert.Equal("node ghost: the API server has no node of that name", ex.Message);
    }

    private static SocketsHttpHandler TestTlsFor(Fleet.Testing.Kubernetes.FakeKubeApiServer api) => new()
    {
        SslOptions =
        {
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                using var chain = new System.Security.Cryptography.X509Certificates.X509Chain();
                chain.ChainPolicy.TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(api.CaCertificate);
                chain.ChainPolicy.RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck;
                using var leaf = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(certificate!.GetRawCertData());
                return chain.Build(leaf);
            },
        },
    };
}
