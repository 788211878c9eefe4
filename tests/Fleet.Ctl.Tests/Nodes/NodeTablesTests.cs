using Fleet.Ctl.Nodes;
using Fleet.Ctl.Output;

namespace Fleet.Ctl.Tests.Nodes;

/// <summary>`fleetctl nodes list` shows each node's agent version in its default columns (AGENT), and -o wide keeps it once.</summary>
public sealed class NodeTablesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 29, 16, 0, 0, TimeSpan.Zero);

    private static NodeView Node(string name, string agentVersion) => new(
        name, "n-" + name, "online", true, true, "arm64", "aarch64", "Raspberry Pi 4 Model B Rev 1.4", "Debian GNU/Linux 12 (bookworm)",
        "6.1.0", 4, 4L << 30, agentVersion, "v1.12.5", "v1.12.5", "containerd 1.6.20", ["loopback"], new Dictionary<string, string>(), "ok",
        [], Now.AddSeconds(-5), Now.AddDays(-3), Now.AddSeconds(-5));

    private static List<string> Lines(TableWriter table) => table.Lines(TerminalInfo.Piped).ToList();

    [Fact]
    public void List_DefaultColumns_IncludeAgent_WithTheVersion()
    {
        var table = NodeTables.List([Node("pi1", "0.9.1"), Node("pi2", "")], wide: false, Now);

        Assert.Equal(["NAME", "ARCH", "BOARD", "STATUS", "KUBELET", "AGENT", "HEALTH", "LAST SEEN"], table.Columns.Select(c => c.Header));
        var lines = Lines(table);
        var agent = lines[0].IndexOf("AGENT", StringComparison.Ordinal);
        Assert.Equal("0.9.1", lines[1][agent..].Split(' ')[0]);
        Assert.Equal("-", lines[2][agent..].Split(' ')[0]); // none reported
    }

    [Fact]
    public void List_Wide_HasAgentOnce_AfterKubelet()
    {
        var table = NodeTables.List([Node("pi1", "0.9.1")], wide: true, Now);

        var headers = table.Columns.Select(c => c.Header).ToList();
        Assert.Single(headers, h => h == "AGENT");
        Assert.Equal(headers.IndexOf("KUBELET") + 1, headers.IndexOf("AGENT"));
        Assert.Equal(["NAME", "ARCH", "BOARD", "STATUS", "KUBELET", "AGENT", "HEALTH", "LAST SEEN"], headers.Take(8)); // wide = the default columns, then more
    }

    [Fact]
    public void List_AHostileAgentVersion_IsPrintedInert()
    {
        var lines = Lines(NodeTables.List([Node("pi1", "0.9.1\u001b[31m\nforged")], wide: false, Now));

        Assert.Equal(2, lines.Count); // no second line forged
        Assert.DoesNotContain('\u001b', lines[1]);
    }
}
