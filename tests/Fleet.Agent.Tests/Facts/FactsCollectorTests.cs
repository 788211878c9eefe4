using Fleet.Agent.Steps.AgentUpgrade;
using Fleet.Agent.Configuration;
using Fleet.Agent.Facts;
using Fleet.Agent.Hosting;
using Fleet.V1;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fleet.Agent.Tests.Facts;

public sealed class FactsCollectorTests : IDisposable
{
    private const long MemTotalKb = 3884376;

    private readonly FixtureRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Collect_RaspberryPiFixture_ReportsEveryFact()
    {
        WriteRaspberryPi();

        var facts = await Collector().CollectAsync(CancellationToken.None);

        Assert.Equal("pi-node-1", facts.NodeName);
        Assert.Equal(Arch.Arm64, facts.Arch);
        Assert.Equal("aarch64", facts.RawMachine);
        Assert.Equal("6.6.31-v8+", facts.Kernel);
        Assert.Equal("Debian GNU/Linux 12 (bookworm)", facts.OsRelease);
        Assert.Equal("Raspberry Pi 4 Model B Rev 1.4", facts.BoardModel);
        Assert.Equal(4, facts.CpuCount);
        Assert.Equal(MemTotalKb * 1024, facts.MemoryTotalBytes);
        Assert.Equal("v1.29.3", facts.KubeletVersion);
        Assert.Equal("v1.29.3", facts.KubeadmVersion);
        Assert.Equal("containerd (/run/containerd/containerd.sock)", facts.ContainerRuntime);
        Assert.Equal(["loopback", "portmap"], facts.CniPlugins);
        Assert.Equal(FactsCollector.AgentVersion, facts.AgentVersion);
        Assert.Matches(@"^\d+\.\d+\.\d+", facts.AgentVersion);
        Assert.DoesNotContain('+', facts.AgentVersion);
    }

    [Fact]
    public async Task Collect_AgentInstall_DebWhenDpkgsListNamesTheProgram_ElseEmpty()
    {
        Assert.Equal("", (await Collector().CollectAsync(CancellationToken.None)).AgentInstall);

        _root.Write("/var/lib/dpkg/info/fleet-agent.list", "/usr/bin/fleet-agent\n");

        Assert.Equal("deb", (await Collector().CollectAsync(CancellationToken.None)).AgentInstall);
    }

    [Fact]
    public async Task Collect_NoDeviceTree_UsesDmiVendorAndProduct()
    {
        _root.Write("/sys/class/dmi/id/sys_vendor", "QEMU\n");
        _root.Write("/sys/class/dmi/id/product_name", "Standard PC (Q35 + ICH9, 2009)\n");

        var facts = await Collector().CollectAsync(CancellationToken.None);

        Assert.Equal("QEMU Standard PC (Q35 + ICH9, 2009)", facts.BoardModel);
    }

    [Fact]
    public async Task Collect_DmiProductStartingWithVendor_IsProductOnly()
    {
        _root.Write("/sys/class/dmi/id/sys_vendor", "Dell Inc.\n");
        _root.Write("/sys/class/dmi/id/product_name", "Dell Inc. OptiPlex 7060\n");

        var facts = await Collector().CollectAsync(CancellationToken.None);

        Assert.Equal("Dell Inc. OptiPlex 7060", facts.BoardModel);
    }

    [Fact]
    public async Task Collect_EmptyDeviceTreeModel_FallsBackToDmi()
    {
        _root.Write("/proc/device-tree/model", "\0");
        _root.Write("/sys/class/dmi/id/product_name", "NUC8i5BEH\n");

        var facts = await Collector().CollectAsync(CancellationToken.None);

        Assert.Equal("NUC8i5BEH", facts.BoardModel);
    }

    [Fact]
    public async Task Collect_EmptyRoot_ReportsEmptyFactsWithoutThrowing()
    {
        var facts = await Collector().CollectAsync(CancellationToken.None);

        Assert.Equal("pi-node-1", facts.NodeName);
        Assert.Equal(Arch.Arm64, facts.Arch);
        Assert.Equal("", facts.OsRelease);
        Assert.Equal("", facts.BoardModel);
        Assert.Equal(0, facts.CpuCount);
        Assert.Equal(0, facts.MemoryTotalBytes);
        Assert.Equal("", facts.KubeletVersion);
        Assert.Equal("", facts.KubeadmVersion);
        Assert.Equal("", facts.ContainerRuntime);
        Assert.Empty(facts.CniPlugins);
    }

    [Fact]
    public async Task Collect_NonExecutableOrHiddenCniFiles_AreNotListed()
    {
        _root.Write("/opt/cni/bin/portmap", "", FixtureRoot.Executable);
        _root.Write("/opt/cni/bin/loopback", "", FixtureRoot.Executable);
        _root.Write("/opt/cni/bin/README", "not a plugin", FixtureRoot.Regular);
        _root.Write("/opt/cni/bin/.bridge.tmp", "", FixtureRoot.Executable);
        _root.CreateDirectory("/opt/cni/bin/subdir");

        var facts = await Collector().CollectAsync(CancellationToken.None);

        Assert.Equal(["loopback", "portmap"], facts.CniPlugins);
    }

    [Fact]
    public async Task Collect_ConfiguredName_WinsOverHostName()
    {
        var options = _root.Options();
        options.Name = "worker-7";

        var facts = await Collector(options).CollectAsync(CancellationToken.None);

        Assert.Equal("worker-7", facts.NodeName);
    }

    [Fact]
    public async Task Collect_OnlyCriO_ReportsCriO()
    {
        _root.Write("/run/crio/crio.sock", "");

        var facts = await Collector().CollectAsync(CancellationToken.None);

        Assert.Equal("cri-o (/run/crio/crio.sock)", facts.ContainerRuntime);
    }

    [Fact]
    public async Task Collect_OsReleaseOnlyInUsrLib_IsRead()
    {
        _root.Write("/usr/lib/os-release", "PRETTY_NAME=\"Ubuntu 24.04.1 LTS\"\n");

        var facts = await Collector().CollectAsync(CancellationToken.None);

        Assert.Equal("Ubuntu 24.04.1 LTS", facts.OsRelease);
    }

    [Fact]
    public async Task Collect_KubeletInUsrLocalBin_IsFound()
    {
        _root.WriteScript("/usr/local/bin/kubelet", "echo \"Kubernetes v1.30.0\"");

        var facts = await Collector().CollectAsync(CancellationToken.None);

        Assert.Equal("v1.30.0", facts.KubeletVersion);
        Assert.Equal("", facts.KubeadmVersion);
    }

    [Fact]
    public async Task Collect_KubeletFailing_HasEmptyVersion()
    {
        _root.WriteScript("/usr/bin/kubelet", "echo \"Kubernetes v1.29.3\"; exit 3");
        _root.WriteScript("/usr/bin/kubeadm", "echo \"no version here\"");

        var facts = await Collector().CollectAsync(CancellationToken.None);

        Assert.Equal("", facts.KubeletVersion);
        Assert.Equal("", facts.KubeadmVersion);
    }

    [Fact]
    public async Task Collect_UnsupportedMachine_Throws()
    {
        var collector = Collector(uname: new FakeUname("box", "6.1.0", "riscv64"));

        var ex = await Assert.ThrowsAsync<NotSupportedException>(() => collector.CollectAsync(CancellationToken.None));
        Assert.Contains("riscv64", ex.Message, StringComparison.Ordinal);
    }

    private void WriteRaspberryPi()
    {
        _root.Write("/proc/meminfo", $"MemTotal:        {MemTotalKb} kB\nMemFree:          512340 kB\nMemAvailable:    2911876 kB\n");
        _root.Write("/etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\n");
        _root.Write("/proc/device-tree/model", "Raspberry Pi 4 Model B Rev 1.4\0");
        _root.Write("/sys/class/dmi/id/product_name", "should not be used\n");
        _root.Write("/sys/devices/system/cpu/online", "0-3\n");
        _root.Write("/opt/cni/bin/portmap", "", FixtureRoot.Executable);
        _root.Write("/opt/cni/bin/loopback", "", FixtureRoot.Executable);
        _root.Write("/run/containerd/containerd.sock", "");
        _root.WriteScript("/usr/bin/kubelet", """
            if [ "$*" != "--version" ]; then echo "unexpected arguments: $*" >&2; exit 64; fi
            echo "Kubernetes v1.29.3"
            """);
        _root.WriteScript("/usr/bin/kubeadm", """
            if [ "$*" != "version -o short" ]; then echo "unexpected arguments: $*" >&2; exit 64; fi
            echo "v1.29.3"
            """);
    }

    private FactsCollector Collector(AgentOptions? options = null, IUname? uname = null)
    {
        options ??= _root.Options();
        var paths = new HostPaths(options);
        var versions = new KubernetesVersionProbe(options, paths, new ProcessRunner(), NullLogger<KubernetesVersionProbe>.Instance);
        return new FactsCollector(options, paths, uname ?? new FakeUname("Pi-Node-1", "6.6.31-v8+", "aarch64"), new CniPlugins(paths), versions, new AgentInstall(paths, new AgentUpgradeOptions { ProgramPath = "/usr/bin/fleet-agent" }));
    }
}
