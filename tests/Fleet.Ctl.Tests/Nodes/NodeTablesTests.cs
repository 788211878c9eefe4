using Fleet.Ctl.Nodes;
using Fleet.Ctl.Output;
using Google.Protobuf.WellKnownTypes;

namespace Fleet.Ctl.Tests.Nodes;

/// <summary>`fleetctl nodes list` shows each node's agent version in its default columns (AGENT), and -o wide keeps it once
/// and adds how it is installed (INSTALL); `nodes get` shows both ("0.9.0 (binary)").</summary>
public sealed class NodeTablesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 29, 16, 0, 0, TimeSpan.Zero);

    private static NodeView Node(string name, string agentVersion, string agentInstall = "deb") => new(
        name, "n-" + name, "online", true, true, "arm64", "aarch64", "Raspberry Pi 4 Model B Rev 1.4", "Debian GNU/Linux 12 (bookworm)",
        "6.1.0", 4, 4L << 30, agentVersion, agentInstall, "v1.12.5", "v1.12.5", "containerd 1.6.20", ["loopback"], new Dictionary<string, string>(), "ok",
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

    [Fact]
    public void List_Wide_HasAnInstallColumn_WithTheKindOrADash()
    {
        var table = NodeTables.List([Node("pi1", "0.9.1", "binary"), Node("pi2", "0.9.1", "deb"), Node("pi3", "0.9.1", "")], wide: true, Now);

        var headers = table.Columns.Select(c => c.Header).ToList();
        Assert.Equal(headers.IndexOf("LAST SEEN") + 1, headers.IndexOf("INSTALL"));
        var lines = Lines(table);
        var install = lines[0].IndexOf("INSTALL", StringComparison.Ordinal);
        Assert.Equal(["binary", "deb", "-"], lines.Skip(1).Select(l => l[install..].Split(' ')[0]));
    }

    [Fact]
    public void List_Default_HasNoInstallColumn()
    {
        var table = NodeTables.List([Node("pi1", "0.9.1", "binary")], wide: false, Now);

        Assert.DoesNotContain("INSTALL", table.Columns.Select(c => c.Header));
    }

    [Theory]
    [InlineData("0.9.0", "binary", "0.9.0 (binary)")]
    [InlineData("0.9.0", "deb", "0.9.0 (deb)")]
    [InlineData("0.9.0", "", "0.9.0 (install unknown)")]
    [InlineData("", "", "- (install unknown)")]
    public void Get_AgentRow_ShowsTheVersionAndTheInstallKind(string version, string install, string expected)
    {
        var lines = Lines(NodeTables.Facts(Node("pi1", version, install), Now));

        var agent = Assert.Single(lines, l => l.StartsWith("Agent ", StringComparison.Ordinal));
        Assert.Equal(expected, agent["Agent".Length..].Trim());
    }

    [Fact]
    public void List_Wide_AHostileInstall_IsPrintedInert()
    {
        var lines = Lines(NodeTables.List([Node("pi1", "0.9.1", "binary\u001b[31m\nforged")], wide: true, Now));

        Assert.Equal(2, lines.Count); // no second line forged
        Assert.DoesNotContain('\u001b', lines[1]);
    }

    [Fact]
    public void Json_CarriesAgentInstall()
    {
        var json = System.Text.Json.JsonSerializer.Serialize(NodeView.From(new Fleet.V1.Node { Name = "pi1", FirstSeen = Timestamp.FromDateTimeOffset(Now), LastSeen = Timestamp.FromDateTimeOffset(Now), Facts = new Fleet.V1.NodeFacts { AgentVersion = "0.9.0", AgentInstall = "binary" } }), FleetCtlJson.Default.NodeView);

        Assert.Contains("\"agentInstall\": \"binary\"", json, StringComparison.Ordinal);
    }
}
