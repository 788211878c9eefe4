using Fleet.Agent.Configuration;

namespace Fleet.Agent.Tests.Configuration;

/// <summary>The agent's labels (agent.json "labels", FLEET_LABELS, --labels) follow the shared label rules; a bad one stops the agent at start.</summary>
public sealed class AgentConfigLabelsTests : IDisposable
{
    private const string Coordinator = "https://127.0.0.1:7443";
    private readonly FixtureRoot _dir = new();

    public void Dispose() => _dir.Dispose();

    private static AgentOptions FromFlag(string labels) =>
        AgentConfigLoader.Load("/nonexistent/agent.json", false, new Dictionary<string, string?>(), new Dictionary<string, string> { ["--coordinator"] = Coordinator, ["--labels"] = labels });

    private AgentOptions FromFile(string labelsJson)
    {
        var file = Path.Join(_dir.Root, "agent.json");
        File.WriteAllText(file, $"{{ \"coordinator\": \"{Coordinator}\", \"labels\": {labelsJson} }}");
        return AgentConfigLoader.Load(file, true, new Dictionary<string, string?>(), new Dictionary<string, string>());
    }

    [Fact]
    public void Labels_AsAStringAListOrAnObject_SameLabels()
    {
        var expected = new Dictionary<string, string> { ["role"] = "worker", ["fleet.io/zone"] = "a", ["empty"] = "" };

        Assert.Equal(expected, FromFlag("role=worker,fleet.io/zone=a,empty=").Labels);
        Assert.Equal(expected, FromFile("\"role=worker, fleet.io/zone=a, empty=\"").Labels);
        Assert.Equal(expected, FromFile("[\"role=worker\", \"fleet.io/zone=a\", \"empty=\"]").Labels);
        Assert.Equal(expected, FromFile("{ \"role\": \"worker\", \"fleet.io/zone\": \"a\", \"empty\": \"\" }").Labels);
    }

    [Theory]
    [InlineData("Bad Key=v", "flag --labels: the label key \"Bad Key\" is not valid")]
    [InlineData("role=bad value", "flag --labels: the value \"bad value\" of label \"role\" is not valid")]
    [InlineData("role", "flag --labels: \"role\" is not key=value")]
    [InlineData("-role=x", "flag --labels: the label key \"-role\" is not valid")]
    [InlineData("fleet.io/=x", "flag --labels: the label key \"fleet.io/\" is not valid")]
    [InlineData("role=a/b", "flag --labels: the value \"a/b\" of label \"role\" is not valid")]
    public void Labels_BadFlag_IsAConfigErrorNamingIt(string labels, string expected)
    {
        var ex = Assert.Throws<ConfigException>(() => FromFlag(labels));

        Assert.StartsWith(expected, ex.Message);
    }

    [Fact]
    public void Labels_OversizedKeyOrValue_Refused()
    {
        Assert.Contains("is not valid", Assert.Throws<ConfigException>(() => FromFlag(new string('k', 64) + "=v")).Message);
        Assert.Contains("is not valid", Assert.Throws<ConfigException>(() => FromFlag("k=" + new string('v', 64))).Message);
        Assert.Null(Record.Exception(() => FromFlag(new string('k', 63) + "=" + new string('v', 63))));
    }

    [Fact]
    public void Labels_TooMany_Refused()
    {
        var many = string.Join(',', Enumerable.Range(0, NodeLabels.MaxCount + 1).Select(i => $"k{i}=v"));

        var ex = Assert.Throws<ConfigException>(() => FromFlag(many));

        Assert.Equal($"flag --labels: {NodeLabels.MaxCount + 1} labels, at most {NodeLabels.MaxCount}", ex.Message);
    }

    [Theory]
    [InlineData("{ \"Bad Key\": \"v\" }", "the label key \"Bad Key\" is not valid")]
    [InlineData("{ \"role\": 1 }", "\"labels\" must be a string, a number or a list of strings (or an object of strings), not Object")]
    [InlineData("{ \"role\": \"a,b\" }", "\"labels\": the value \"a,b\" of label \"role\" is not valid")]
    public void Labels_BadObjectInTheFile_IsAConfigErrorNamingTheFile(string json, string expected)
    {
        var ex = Assert.Throws<ConfigException>(() => FromFile(json));

        Assert.Contains("agent.json", ex.Message);
        Assert.Contains(expected, ex.Message);
    }
}
