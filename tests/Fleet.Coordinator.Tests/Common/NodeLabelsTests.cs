namespace Fleet.Coordinator.Tests.Common;

/// <summary>The one label validator (protos/Common/NodeLabels.cs) shared by the agent, the coordinator and fleetctl: Kubernetes' label rules.</summary>
public sealed class NodeLabelsTests
{
    [Theory]
    [InlineData("role")]
    [InlineData("a")]
    [InlineData("Role_2.x-y")]
    [InlineData("fleet.io/zone")]
    [InlineData("kubernetes.io/arch")]
    [InlineData("a-b.c/d")]
    [InlineData("x1/Y")]
    public void KeyProblem_ValidKeys_None(string key) => Assert.Null(NodeLabels.KeyProblem(key));

    public static TheoryData<string> BadKeys() =>
    [
        "", "Bad Key", " role", "role ", "-role", "role-", "_role", "role.", "ro le", "ro=le", "ro,le", "rôle", "role\n", "role\0",
        "/role", "fleet.io/", "fleet.io//zone", "a/b/c", "Fleet.io/zone", "fleet_io/zone", "-fleet.io/zone", "fleet.io-/zone", "fleet..io/zone", ".fleet.io/zone",
        new string('a', 64), $"{new string('a', 254)}/zone", $"fleet.io/{new string('a', 64)}", "rol\u200be", "role\u0085",
    ];

    [Theory]
    [MemberData(nameof(BadKeys))]
    public void KeyProblem_BadKeys_NamedWithTheRule(string key)
    {
        var problem = NodeLabels.KeyProblem(key);

        Assert.NotNull(problem);
        Assert.Contains("label key", problem);
        Assert.DoesNotContain('\n', problem);
        Assert.DoesNotContain('\0', problem);
    }

    [Fact]
    public void KeyProblem_LongestValidParts_None()
    {
        var prefix = string.Join('.', Enumerable.Repeat(new string('p', 50), 4)) + "." + new string('q', 49);
        Assert.Equal(253, prefix.Length);
        Assert.Null(NodeLabels.KeyProblem($"{prefix}/{new string('n', 63)}"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("worker")]
    [InlineData("Worker_1.2-3")]
    [InlineData("0")]
    public void ValueProblem_ValidValues_None(string value) => Assert.Null(NodeLabels.ValueProblem("role", value));

    public static TheoryData<string> BadValues() =>
    [
        " ", "a b", "-worker", "worker-", ".x", "x.", "a/b", "a=b", "a,b", "wörker", "w\torker", "x\n", new string('v', 64), new string('v', 100_000),
    ];

    [Theory]
    [MemberData(nameof(BadValues))]
    public void ValueProblem_BadValues_NamedWithTheKey(string value)
    {
        var problem = NodeLabels.ValueProblem("role", value);

        Assert.NotNull(problem);
        Assert.Contains("of label \"role\"", problem);
        Assert.True(problem.Length < 400, "an oversized value is cut in the message");
        Assert.DoesNotContain('\n', problem);
        Assert.DoesNotContain('\t', problem);
    }

    [Fact]
    public void Problems_EveryProblemAtOnce_AndTheCount()
    {
        var labels = Enumerable.Range(0, NodeLabels.MaxCount).Select(i => KeyValuePair.Create($"k{i}", "v"))
            .Append(KeyValuePair.Create("Bad Key", "v")).Append(KeyValuePair.Create("ok", "bad value"));

        var problems = NodeLabels.Problems(labels, "target.labels");

        Assert.Equal(3, problems.Count);
        Assert.All(problems, p => Assert.StartsWith("target.labels: ", p));
        Assert.Contains(problems, p => p.Contains("\"Bad Key\""));
        Assert.Contains(problems, p => p.Contains("\"bad value\""));
        Assert.Contains($"target.labels: {NodeLabels.MaxCount + 2} labels, at most {NodeLabels.MaxCount}", problems);
    }

    [Fact]
    public void Parse_RepeatedAndCommaSeparated_AllTaken()
    {
        var labels = NodeLabels.Parse(["role=worker, zone=a", " fleet.io/rack=r1 ", "empty=", ""], out var problem);

        Assert.Null(problem);
        Assert.Equal(new Dictionary<string, string> { ["role"] = "worker", ["zone"] = "a", ["fleet.io/rack"] = "r1", ["empty"] = "" }, labels);
    }

    [Fact]
    public void KeyProblem_APrefixOneOverTheLimit_Refused() =>
        Assert.NotNull(NodeLabels.KeyProblem(string.Join('.', Enumerable.Repeat(new string('p', 50), 4)) + "." + new string('q', 50) + "/n"));

    [Theory]
    [InlineData("role", "\"role\" is not key=value")]
    [InlineData("=worker", "the label key is empty")]
    [InlineData("role=worker,role=control-plane", "the label key \"role\" is given twice (\"worker\" and \"control-plane\"); give each key once")]
    [InlineData("Bad Key=v", "the label key \"Bad Key\" is not valid")]
    [InlineData("role=a=b", "the value \"a=b\" of label \"role\" is not valid")]
    [InlineData("role==worker", "the value \"=worker\" of label \"role\" is not valid")]
    [InlineData("role!=worker", "the label key \"role!\" is not valid")]
    [InlineData("ro\u001b[31mle=x", "the label key \"ro\\u001b[31mle\" is not valid")]
    public void Parse_BadText_NamesTheFirstProblem(string text, string expected)
    {
        NodeLabels.Parse([text], out var problem);

        Assert.NotNull(problem);
        Assert.StartsWith(expected, problem);
    }

    [Fact]
    public void Parse_TooMany_Refused()
    {
        NodeLabels.Parse([string.Join(',', Enumerable.Range(0, NodeLabels.MaxCount + 1).Select(i => $"k{i}=v"))], out var problem);

        Assert.Equal($"{NodeLabels.MaxCount + 1} labels, at most {NodeLabels.MaxCount}", problem);
    }

    [Fact]
    public void Parse_AnOversizedPair_IsCutInTheMessage()
    {
        NodeLabels.Parse([new string('k', 1_000_000) + "=v"], out var problem);

        Assert.NotNull(problem);
        Assert.Contains("(1000000 characters)", problem);
        Assert.True(problem.Length < 400);
    }

    [Fact]
    public void Merge_TheTokensLabelWinsAConflict_TheRestIsKept()
    {
        var merged = NodeLabels.Merge(
            new Dictionary<string, string> { ["role"] = "control-plane", ["zone"] = "a" },
            new Dictionary<string, string> { ["role"] = "worker", ["rack"] = "r1" });

        Assert.Equal(new Dictionary<string, string> { ["role"] = "worker", ["zone"] = "a", ["rack"] = "r1" }, merged);
    }

    [Fact]
    public void Matches_EveryPairMustMatch_LikeKubectlEquality()
    {
        var labels = new Dictionary<string, string> { ["role"] = "worker", ["zone"] = "a" };

        Assert.True(NodeLabels.Matches(new Dictionary<string, string>(), labels));
        Assert.True(NodeLabels.Matches(new Dictionary<string, string> { ["role"] = "worker", ["zone"] = "a" }, labels));
        Assert.False(NodeLabels.Matches(new Dictionary<string, string> { ["role"] = "worker", ["zone"] = "b" }, labels));
        Assert.False(NodeLabels.Matches(new Dictionary<string, string> { ["rack"] = "" }, labels));
        Assert.False(NodeLabels.Matches(new Dictionary<string, string> { ["Role"] = "worker" }, labels));
    }
}
