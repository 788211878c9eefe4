using Fleet.Agent.Session;

namespace Fleet.Agent.Tests.Session;

public sealed class NodeIdentityTests : IDisposable
{
    private const string IdFile = "/var/lib/fleet-agent/node-id";

    private readonly FixtureRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public void NodeId_FirstStart_CreatesA32HexIdInTheStateFolder()
    {
        var id = new NodeIdentity(_root.Paths()).NodeId;

        Assert.Matches("^[0-9a-f]{32}$", id);
        Assert.Equal(id + "\n", File.ReadAllText(_root.Resolve(IdFile)));
        Assert.Equal(["node-id"], Directory.GetFiles(_root.Resolve("/var/lib/fleet-agent")).Select(Path.GetFileName));
    }

    [Fact]
    public void NodeId_SecondInstance_ReturnsTheSameId()
    {
        var first = new NodeIdentity(_root.Paths()).NodeId;

        var second = new NodeIdentity(_root.Paths()).NodeId;

        Assert.Equal(first, second);
    }

    [Fact]
    public void NodeId_TwoNodes_GetDifferentIds()
    {
        using var other = new FixtureRoot();

        Assert.NotEqual(new NodeIdentity(_root.Paths()).NodeId, new NodeIdentity(other.Paths()).NodeId);
    }

    [Fact]
    public void NodeId_ConfiguredStateDir_IsUsed()
    {
        var options = _root.Options();
        options.StateDir = "/srv/fleet";

        var id = new NodeIdentity(_root.Paths(options)).NodeId;

        Assert.Equal(id, File.ReadAllText(_root.Resolve("/srv/fleet/node-id")).Trim());
    }

    [Fact]
    public void NodeId_ExistingFile_IsRead()
    {
        _root.Write(IdFile, "0123456789abcdef0123456789abcdef\n");

        Assert.Equal("0123456789abcdef0123456789abcdef", new NodeIdentity(_root.Paths()).NodeId);
    }

    [Theory]
    [InlineData("not an id\n")]
    [InlineData("")]
    [InlineData("0123456789ABCDEF0123456789ABCDEF")]
    [InlineData("0123456789abcdef0123456789abcde")]
    public void NodeId_GarbledFile_IsRefusedNamingTheFile(string content)
    {
        var file = _root.Write(IdFile, content);

        var ex = Assert.Throws<InvalidDataException>(() => new NodeIdentity(_root.Paths()).NodeId);

        Assert.Contains(file, ex.Message, StringComparison.Ordinal);
        Assert.Equal(content, File.ReadAllText(file)); // left for the operator, not overwritten
    }

    [Theory]
    [InlineData("0123456789abcdef0123456789abcdef", true)]
    [InlineData("0123456789abcdef0123456789abcdeg", false)]
    [InlineData("0123456789ABCDEF0123456789ABCDEF", false)]
    [InlineData("0123456789abcdef", false)]
    [InlineData("", false)]
    public void IsValid_Id_Is32LowercaseHex(string id, bool expected) => Assert.Equal(expected, NodeIdentity.IsValid(id));
}
