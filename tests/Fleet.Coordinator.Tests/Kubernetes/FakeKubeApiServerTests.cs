using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Fleet.Testing;
using Fleet.Testing.Kubernetes;

namespace Fleet.Coordinator.Tests.Kubernetes;

/// <summary>The API server double keeps the REST semantics the tests (and the rollout tests) rely on.</summary>
public sealed class FakeKubeApiServerTests : IAsyncLifetime
{
    private readonly TempDir _dir = new();
    private FakeKubeApiServer _api = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _api = await FakeKubeApiServer.StartAsync(_dir.Combine("api"));
        _api.AddNode("worker-1");
        _http = new HttpClient(TrustingTheClusterCa()) { BaseAddress = _api.Url };
        _http.DefaultRequestHeaders.Authorization = new("Bearer", _api.Token);
    }

    private SocketsHttpHandler TrustingTheClusterCa() => new()
    {
            SslOptions =
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(_api.CaCertificate);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    using var leaf = X509CertificateLoader.LoadCertificate(certificate!.GetRawCertData());
                    return chain.Build(leaf);
                },
            },
    };

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _api.DisposeAsync();
        _dir.Dispose();
    }

    private async Task<(HttpStatusCode, JsonObject)> PatchAsync(string contentType, string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, contentType);
        using var response = await _http.PatchAsync("/api/v1/nodes/worker-1", content);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
    }

    [Fact]
    public async Task JsonPatch_AFailedTest_Is422_AndChangesNothing()
    {
        var version = _api.Node("worker-1")!["metadata"]!["resourceVersion"]!.GetValue<string>();
        var (code, status) = await PatchAsync("application/json-patch+json", """[{"op":"test","path":"/metadata/resourceVersion","value":"1"},{"op":"add","path":"/spec/unschedulable","value":true}]""");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, code);
        Assert.Equal("Invalid", status["reason"]!.GetValue<string>());
        Assert.Equal(version, _api.Node("worker-1")!["metadata"]!["resourceVersion"]!.GetValue<string>());
    }

    [Fact]
    public async Task MergePatch_NullRemoves_AndAResourceVersionIsAPrecondition()
    {
        var (code, node) = await PatchAsync("application/merge-patch+json", """{"metadata":{"labels":{"kubernetes.io/os":null,"zone":"a"}}}""");
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Null(node["metadata"]!["labels"]!["kubernetes.io/os"]);
        Assert.Equal("a", node["metadata"]!["labels"]!["zone"]!.GetValue<string>());

        var (conflict, status) = await PatchAsync("application/merge-patch+json", """{"metadata":{"resourceVersion":"1","labels":{"zone":"b"}}}""");
        Assert.Equal(HttpStatusCode.Conflict, conflict);
        Assert.Contains("the object has been modified", status["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task StrategicMergePatch_MergesConditionsByType_AndANoOpWritesNothing()
    {
        var (code, node) = await PatchAsync("application/strategic-merge-patch+json", """{"status":{"conditions":[{"type":"MemoryPressure","status":"False"}]}}""");
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal(["Ready", "MemoryPressure"], node["status"]!["conditions"]!.AsArray().Select(c => c!["type"]!.GetValue<string>()));

        var version = node["metadata"]!["resourceVersion"]!.GetValue<string>();
        var (_, again) = await PatchAsync("application/strategic-merge-patch+json", """{"status":{"conditions":[{"type":"MemoryPressure","status":"False"}]}}""");
        Assert.Equal(version, again["metadata"]!["resourceVersion"]!.GetValue<string>());
    }

    [Fact]
    public async Task UnknownPatchTypes_UnsupportedFieldSelectors_AndMissingCredentials_AreRefusedAsTheRealServerDoes()
    {
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await PatchAsync("application/json", "{}")).Item1);

        using var badSelector = await _http.GetAsync("/api/v1/nodes?fieldSelector=spec.nodeName%3Dx");
        Assert.Equal(HttpStatusCode.BadRequest, badSelector.StatusCode);
        Assert.Contains("field label not supported: spec.nodeName", await badSelector.Content.ReadAsStringAsync());

        using var noToken = new HttpClient(TrustingTheClusterCa()) { BaseAddress = _api.Url };
        Assert.Equal(HttpStatusCode.Unauthorized, (await noToken.GetAsync("/api/v1/nodes")).StatusCode);
    }

    [Fact]
    public async Task AWatchFromAResourceVersion_ReplaysLaterChanges_ThenStreams()
    {
        var version = _api.Node("worker-1")!["metadata"]!["resourceVersion"]!.GetValue<string>();
        _api.SetNodeStatus("worker-1", ready: false);
        using var response = await _http.GetAsync($"/api/v1/nodes?watch=true&resourceVersion={version}&timeoutSeconds=30", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var first = JsonNode.Parse((await reader.ReadLineAsync().DefaultTimeout())!)!;
        Assert.Equal("MODIFIED", first["type"]!.GetValue<string>());
        Assert.Equal("False", first["object"]!["status"]!["conditions"]![0]!["status"]!.GetValue<string>());

        _api.SetNodeStatus("worker-1", ready: true, kubeletVersion: "v1.28.4");
        var second = JsonNode.Parse((await reader.ReadLineAsync().DefaultTimeout())!)!;
        Assert.Equal("v1.28.4", second["object"]!["status"]!["nodeInfo"]!["kubeletVersion"]!.GetValue<string>());
        Assert.True(long.Parse(second["object"]!["metadata"]!["resourceVersion"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) > long.Parse(version, System.Globalization.CultureInfo.InvariantCulture));
    }
}
