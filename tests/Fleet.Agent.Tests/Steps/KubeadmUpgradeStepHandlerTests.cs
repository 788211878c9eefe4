using Fleet.Agent.Steps;
using Fleet.Testing;
using Fleet.V1;

namespace Fleet.Agent.Tests.Steps;

/// <summary>KubeadmUpgrade against the kubeadm double: apply on the first control plane, node elsewhere.</summary>
public sealed class KubeadmUpgradeStepHandlerTests : IDisposable
{
    private readonly DoubleHarness _h = new();

    public void Dispose() => _h.Dispose();

    private Task<StepResult> Run(KubeadmUpgradeMode mode, string version = "") =>
        new KubeadmUpgradeStepHandler(_h.Process(), _h.Options)
            .RunAsync(new StepRequest { Id = "upgrade-1", KubeadmUpgrade = new KubeadmUpgradeStep { Mode = mode, Version = version } }, _h.Progress("upgrade-1"), CancellationToken.None)
            .DefaultTimeout();

    [Fact]
    public async Task Run_Apply_RunsUpgradeApplyWithTheVersionAndYes()
    {
        var result = await Run(KubeadmUpgradeMode.Apply, "v1.12.5");

        Assert.Equal(StepOutcome.Succeeded, result.Outcome);
        Assert.Equal("upgraded the control plane to v1.12.5", result.Reason);
        Assert.Equal(["upgrade apply v1.12.5 -y"], _h.Calls("kubeadm"));
        Assert.Contains("[upgrade/successful] SUCCESS! Your cluster was upgraded to \"v1.12.5\". Enjoy!", _h.LogLines());
    }

    [Fact]
    public async Task Run_Node_RunsUpgradeNode()
    {
        var result = await Run(KubeadmUpgradeMode.Node);

        Assert.Equal(StepOutcome.Succeeded, result.Outcome);
        Assert.Equal(["upgrade node"], _h.Calls("kubeadm"));
    }

    [Fact]
    public async Task Run_NodeWithAVersion_RunsUpgradeNodeWithoutIt()
    {
        var result = await Run(KubeadmUpgradeMode.Node, "v1.12.5");

        Assert.Equal("upgraded the node's configuration (for v1.12.5)", result.Reason);
        Assert.Equal(["upgrade node"], _h.Calls("kubeadm"));
    }

    [Theory]
    [InlineData(KubeadmUpgradeMode.Apply, "", "version: missing (a Kubernetes version such as v1.12.5)")]
    [InlineData(KubeadmUpgradeMode.Apply, "1.12.5", "version: \"1.12.5\" is not a Kubernetes version such as v1.12.5")]
    [InlineData(KubeadmUpgradeMode.Apply, "v1.12", "version: \"v1.12\" is not a Kubernetes version")]
    [InlineData(KubeadmUpgradeMode.Apply, "--force", "version: \"--force\" is not a Kubernetes version")]
    [InlineData(KubeadmUpgradeMode.Apply, "v1.12.5 --force", "is not a Kubernetes version")]
    [InlineData(KubeadmUpgradeMode.Node, "latest", "version: \"latest\" is not a Kubernetes version")]
    [InlineData(KubeadmUpgradeMode.Unspecified, "v1.12.5", "mode: missing (apply or node)")]
    [InlineData((KubeadmUpgradeMode)7, "v1.12.5", "mode: unknown value 7 (this agent knows apply and node)")]
    public async Task Run_InvalidInput_IsRefusedBeforeAnythingRuns(KubeadmUpgradeMode mode, string version, string problem)
    {
        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(mode, version));

        Assert.StartsWith("refusing to run kubeadm upgrade: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
        Assert.Empty(_h.Calls("kubeadm"));
    }

    [Fact]
    public async Task Run_PrereleaseVersion_IsAccepted()
    {
        await Run(KubeadmUpgradeMode.Apply, "v1.30.0-rc.1");

        Assert.Equal(["upgrade apply v1.30.0-rc.1 -y"], _h.Calls("kubeadm"));
    }

    [Fact]
    public async Task Run_ApplyFails_ReasonHasTheCodeAndTheLastStderrLine()
    {
        _h.Fail("kubeadm", 1, "[upgrade/version] FATAL: the --version argument is invalid due to these errors:\n\n\t- Specified version to upgrade to \"v1.14.0\" is too high; kubeadm can upgrade only 1 minor version at a time\n");

        var ex = await Assert.ThrowsAsync<StepFailedException>(() => Run(KubeadmUpgradeMode.Apply, "v1.14.0"));

        Assert.Equal("kubeadm upgrade apply exited with code 1: - Specified version to upgrade to \"v1.14.0\" is too high; kubeadm can upgrade only 1 minor version at a time", ex.Message);
    }
}
