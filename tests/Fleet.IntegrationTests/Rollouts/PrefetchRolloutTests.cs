using System.Security.Cryptography;
using System.Text;
using Fleet.Testing;

namespace Fleet.IntegrationTests.Rollouts;

/// <summary>
/// Prefetch before disruption, end to end: the real coordinator with the Kubernetes API double, a real
/// agent running the kubeadm and systemctl doubles, a real artifact server. The upgrade recipe stages
/// every binary before the node is cordoned and installs from the staging cache; a prefetch that fails
/// fails the node at step 1, before any cordon and before any binary is replaced.
/// </summary>
public sealed class PrefetchRolloutTests : IAsyncLifetime
{
    private const string From = "v1.12.0";
    private const string To = "v1.12.5";
    private static readonly string[] Binaries = ["kubeadm", "kubelet", "kubectl"];
    private KubernetesRolloutHarness _h = null!;
    private TestAgent _agent = null!;
    private TestDoubles _doubles = null!;

    public async Task InitializeAsync()
    {
        _h = await KubernetesRolloutHarness.StartAsync(From, ServeAsync);
        (_agent, _doubles, _) = await _h.NodeAsync("cp1", "x86_64", "amd64", controlPlane: true);
        _h.RunKubelets([To]); // once restarted, the kubelet reports the new version
    }

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task Upgrade_StagesEveryBinaryBeforeTheCordon_ThenInstallsEachFromTheCache()
    {
        await ApplyCatalogAsync();
        var plan = await PlanAsync();

        var dry = await _h.CtlAsync("rollout", "plan", "-f", plan);
        var applied = await _h.CtlAsync("rollout", "apply", "--watch", "-f", plan);

        Assert.True(dry.ExitCode == 0, dry.Stderr);
        Assert.Contains("prefetch kubeadm v1.12.5, kubelet v1.12.5, kubectl v1.12.5 (amd64)", dry.Stdout);
        Assert.True(dry.Stdout.IndexOf("prefetch kubeadm", StringComparison.Ordinal) < dry.Stdout.IndexOf("cordon cp1", StringComparison.Ordinal), dry.Stdout);
        Assert.True(applied.ExitCode == 0, applied.Stdout + applied.Stderr);
        var logs = (await _h.CtlAsync("rollout", "logs", "r1")).Stdout.Split('\n');
        var prefetched = Array.FindIndex(logs, l => l.Contains("cp1: step 1/11 prefetch kubeadm v1.12.5, kubelet v1.12.5, kubectl v1.12.5 (amd64): succeeded", StringComparison.Ordinal));
        var cordoned = Array.FindIndex(logs, l => l.Contains("kubernetes: cordon cp1", StringComparison.Ordinal));
        Assert.True(prefetched >= 0 && prefetched < cordoned, string.Join("\n", logs));
        foreach (var binary in Binaries)
        {
            Assert.Equal(1, _h.Artifacts.Requests($"/files/{binary}")); // the prefetch's download, and no other
            Assert.Equal(await File.ReadAllBytesAsync(Path.Join(_h.Artifacts.Root, binary)), await File.ReadAllBytesAsync(Path.Join(_agent.Root, "usr/bin", binary)));
        }

        Assert.Empty(Directory.GetFileSystemEntries(Path.Join(_agent.StateDir, "prefetch")));
        Assert.DoesNotContain(Directory.GetFileSystemEntries(Path.Join(_agent.Root, "usr/bin")), p => Path.GetFileName(p).StartsWith(".fleet-", StringComparison.Ordinal) && Path.GetFileName(p) != ".fleet-previous"); // no temporary file; the kept previous binaries are issue 15's
        Assert.Equal(To, (string)_h.Kube.Node("cp1")!["status"]!["nodeInfo"]!["kubeletVersion"]!);
    }

    [Theory]
    [InlineData("sha256", "checksum mismatch for")]
    [InlineData("arch", "kubelet is built for AArch64, but this node is amd64 (x86-64); refusing to install it")]
    public async Task Upgrade_PrefetchFails_TheNodeFailsAtStep1_NeverCordoned_NoBinaryReplaced(string spoiled, string reason)
    {
        await ApplyCatalogAsync(spoiled);
        var before = Encoding.ASCII.GetBytes("the kubeadm that was there");
        Directory.CreateDirectory(Path.Join(_agent.Root, "usr/bin"));
        await File.WriteAllBytesAsync(Path.Join(_agent.Root, "usr/bin/kubeadm"), before);

        var applied = await _h.CtlAsync("rollout", "apply", "--watch", "-f", await PlanAsync());

        Assert.NotEqual(0, applied.ExitCode);
        var rollout = await Eventually.Until(() => _h.GetAsync("r1"), r => r.GetProperty("state").GetString() == "failed", "r1 failed");
        var node = rollout.GetProperty("nodes").EnumerateArray().Single();
        Assert.Equal("failed", node.GetProperty("state").GetString());
        var steps = node.GetProperty("steps").EnumerateArray().ToArray();
        Assert.Equal(("prefetch", "failed"), (steps[0].Str("kind"), steps[0].Str("state")));
        Assert.All(steps[1..], s => Assert.Equal("pending", s.Str("state")));
        Assert.Contains(reason, (await _h.CtlAsync("rollout", "logs", "r1")).Stdout);
        Assert.DoesNotContain(_h.Kube.Patches, p => p.Resource == "nodes" && p.Name == "cp1" && p.Body.Contains("unschedulable", StringComparison.Ordinal)); // never cordoned (the labeler's patches are not cordons)
        Assert.Null(_h.Kube.Node("cp1")!["spec"]?["unschedulable"]);
        Assert.DoesNotContain(_doubles.Calls("kubeadm"), c => c.StartsWith("upgrade", StringComparison.Ordinal));
        Assert.Equal(before, await File.ReadAllBytesAsync(Path.Join(_agent.Root, "usr/bin/kubeadm")));
        Assert.False(File.Exists(Path.Join(_agent.Root, "usr/bin/kubelet")));
    }

    /// <summary>Three distinct binaries (Debian's real amd64 kubectl, each with its own trailer), so each has its own sha256; and an arm64 kubelet.</summary>
    private static async Task<string> ServeAsync(TempDir dir)
    {
        var served = Directory.CreateDirectory(dir.Combine("served")).FullName;
        var kubectl = await File.ReadAllBytesAsync(Path.Join(Fixtures.Require(Fixtures.Artifacts), Fixtures.Kubectl("amd64")));
        foreach (var binary in Binaries)
        {
            await File.WriteAllBytesAsync(Path.Join(served, binary), [.. kubectl, .. Encoding.ASCII.GetBytes(binary)]);
        }

        await File.WriteAllBytesAsync(Path.Join(served, "kubelet-arm64"), await File.ReadAllBytesAsync(Path.Join(Fixtures.Artifacts, Fixtures.Kubectl("arm64"))));
        return served;
    }

    /// <param name="spoiled">"sha256": kubelet's sha256 is not that of its bytes; "arch": the amd64 entry serves an arm64 kubelet (its true sha256).</param>
    private async Task ApplyCatalogAsync(string? spoiled = null)
    {
        var yaml = new StringBuilder("components:\n");
        foreach (var binary in Binaries)
        {
            var file = spoiled == "arch" && binary == "kubelet" ? "kubelet-arm64" : binary;
            var sha = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(Path.Join(_h.Artifacts.Root, file))));
            if (spoiled == "sha256" && binary == "kubelet")
            {
                sha = new string('0', 64);
            }

            yaml.Append($"  {binary}:\n    kind: binary\n    url: {_h.Artifacts.BaseUrl}/files/{file}\n    versions:\n      {To}: {{ amd64: {{ sha256: {sha} }} }}\n");
        }

        await _h.ApplyCatalogAsync(yaml.ToString());
    }

    private Task<string> PlanAsync() => _h.PlanFileAsync($"""
        name: upgrade
        target: {"{}"}
        strategy: {"{ failureThreshold: 100%, onFailure: abort }"}
        recipe:
          upgrade-kubernetes: {"{ version: " + To + " }"}
        """);
}
