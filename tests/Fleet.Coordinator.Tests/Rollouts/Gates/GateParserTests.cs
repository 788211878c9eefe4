using Fleet.Coordinator.Rollouts;
using Fleet.Coordinator.Rollouts.Gates;

namespace Fleet.Coordinator.Tests.Rollouts.Gates;

/// <summary>strategy.gates at plan time: each kind with its defaults, and every bad gate refused by path, all problems listed.</summary>
public sealed class GateParserTests
{
    private static (RolloutPlan? Plan, IReadOnlyList<string> Problems) Parse(string gates) => PlanParser.Parse($"""
        target: {"{}"}
        strategy:
          gates:
        {gates}
        recipe:
          install-cni: {"{ version: v1.1.1 }"}
        """);

    [Fact]
    public void EveryKind_WithItsSettingsAndDefaults_InOrder()
    {
        var (plan, problems) = Parse("""
              - nodesReady: { scope: cluster, timeout: 2m }
              - nodesReady: {}
              - soak: 10m
              - prometheus: { url: "http://127.0.0.1:9090/prom/", query: 'sum by (job) (up{job=~"node|kubelet"} == 0) > 0', for: 1m }
              - prometheus: { url: "https://prom.example.org", query: "x > 1" }
              - http: { url: "https://app.example.org/healthz?deep=1", expectStatus: 204 }
              - http: { url: "http://127.0.0.1:8080/ready" }
            """);

        Assert.Empty(problems);
        Assert.Equal<Gate>(
            [
                new NodesReadyGate(GateScope.Cluster, TimeSpan.FromMinutes(2)),
                new NodesReadyGate(GateScope.Targeted, TimeSpan.FromMinutes(5)),
                new SoakGate(TimeSpan.FromMinutes(10)),
                new PrometheusGate(new Uri("http://127.0.0.1:9090/prom/"), """sum by (job) (up{job=~"node|kubelet"} == 0) > 0""", TimeSpan.FromMinutes(1)),
                new PrometheusGate(new Uri("https://prom.example.org"), "x > 1", TimeSpan.Zero),
                new HttpGate(new Uri("https://app.example.org/healthz?deep=1"), 204),
                new HttpGate(new Uri("http://127.0.0.1:8080/ready"), 200),
            ],
            plan!.Strategy.Gates);
        Assert.Equal(
            [
                "nodesReady cluster (timeout 2m)", "nodesReady targeted (timeout 5m)", "soak 10m",
                """prometheus http://127.0.0.1:9090/prom: `sum by (job) (up{job=~"node|kubelet"} == 0) > 0` returns no series for 1m""",
                "prometheus https://prom.example.org: `x > 1` returns no series",
                "http GET https://app.example.org/healthz?deep=1 answers 204", "http GET http://127.0.0.1:8080/ready answers 200",
            ],
            plan.Strategy.Gates.Select(g => g.Describe()));
    }

    [Fact]
    public void APlanWithGates_ParsesBackToAnEqualPlan()
    {
        const string gates = """
                  - soak: 1m
                  - prometheus: { url: "http://127.0.0.1:9090", query: "up == 0", for: 30s }
            """;
        var (first, _) = Parse(gates);
        var (again, _) = PlanParser.Parse(first!.Yaml);
        Assert.Equal(first.Strategy, again!.Strategy); // a stored plan parses back to the plan applied
        Assert.NotEqual(first.Strategy, Parse("      - soak: 2m").Plan!.Strategy);
    }

    [Fact]
    public void NoGates_IsAnEmptyList()
    {
        var (plan, problems) = PlanParser.Parse("target: {}\nrecipe:\n  install-cni: { version: v1.1.1 }\n");
        Assert.Empty(problems);
        Assert.Empty(plan!.Strategy.Gates);
    }

    [Fact]
    public void HostileUrls_AreRefusedByPath_EveryOneListed()
    {
        var (plan, problems) = Parse("""
              - http: { url: "ftp://127.0.0.1/x" }
              - http: { url: "file:///etc/shadow" }
              - http: { url: "http://admin:secret@127.0.0.1/health" }
              - http: { url: "/relative/path" }
              - http: { url: "http://127.0.0.1/a b" }
              - http: {}
              - prometheus: { url: "http://127.0.0.1:9090/api/v1/query?query=up", query: up }
              - prometheus: { url: "gopher://127.0.0.1:70", query: up }
              - http: { url: "http://127.0.0.1/#frag" }
              - http: { url: "javascript:alert(1)" }
            """);

        Assert.Null(plan);
        Assert.Equal(
            [
                "strategy.gates[0].http.url: \"ftp://127.0.0.1/x\": scheme ftp is not http or https",
                "strategy.gates[1].http.url: \"file:///etc/shadow\" is not an absolute URL",
                "strategy.gates[2].http.url: has credentials (user:password@): a gate URL is stored with the plan and shown in logs; give none",
                "strategy.gates[3].http.url: \"/relative/path\" is not an absolute URL",
                "strategy.gates[4].http.url: \"http://127.0.0.1/a b\" has spaces, control or non-ASCII characters (percent-encode them)",
                "strategy.gates[5].http.url: missing (an http or https URL)",
                "strategy.gates[6].prometheus.url: \"http://127.0.0.1:9090/api/v1/query?query=up\" has a query string: give the Prometheus server's base URL (Fleet asks its /api/v1/query)",
                "strategy.gates[7].prometheus.url: \"gopher://127.0.0.1:70\": scheme gopher is not http or https",
                "strategy.gates[8].http.url: \"http://127.0.0.1/#frag\" has a fragment (#...)",
                "strategy.gates[9].http.url: \"javascript:alert(1)\": scheme javascript is not http or https",
            ],
            problems);
        Assert.DoesNotContain(problems, p => p.Contains("secret", StringComparison.Ordinal)); // credentials are never echoed
    }

    [Fact]
    public void AHugeUrl_IsRefusedWithoutEchoingIt()
    {
        var (_, problems) = Parse($"""
              - http: {"{"} url: "http://127.0.0.1/{new string('a', 5000)}" {"}"}
            """);
        Assert.Equal(["strategy.gates[0].http.url: longer than 2048 characters"], problems);
    }

    [Theory]
    [InlineData("\"\"", "missing (a PromQL query whose series mean \"unhealthy\", e.g. up{job=\"node\"} == 0)")]
    [InlineData("\"sum(rate(x[5m])\"", "the ( at character 4 is not closed")]
    [InlineData("\"up{job=\\\"node\\\"} == 0)\"", ") at character 20 closes nothing")]
    [InlineData("\"rate(x[5m)]\"", ") at character 10 does not close the [ at character 7")]
    [InlineData("'up{job=\"node}'", "the string opened with \" at character 8 is not closed")]
    [InlineData("\"up{job='node'\"", "the { at character 3 is not closed")]
    [InlineData("\"up\\u0001\"", "control character U+0001 at character 3")]
    public void BadQueries_AreRefusedSayingWhat(string query, string problem)
    {
        var (plan, problems) = Parse($"""
              - prometheus: {"{"} url: "http://127.0.0.1:9090", query: {query} {"}"}
            """);
        Assert.Null(plan);
        Assert.Equal([$"strategy.gates[0].prometheus.query: {problem}"], problems);
    }

    [Theory]
    [InlineData("up{job=\"a)b\"} == 0")] // brackets inside strings do not count
    [InlineData("up{job='a\\'(b'} == 0")]
    [InlineData("up{job=`a\\(`} == 0")] // raw strings have no escapes
    [InlineData("max_over_time(up[5m:30s]) == 0")]
    public void QueriesWithBracketsInStrings_AreAccepted(string query) => Assert.Null(PromQlText.Problem(query));

    [Fact]
    public void AQueryTooLong_IsRefused() =>
        Assert.Equal("longer than 4096 characters", PromQlText.Problem(new string('x', 4097)));

    [Fact]
    public void BadDurations_Kinds_Scopes_AndStatuses_AreEachListedByPath()
    {
        var (plan, problems) = Parse("""
              - soak: 10
              - soak: 25h
              - nodesReady: { scope: everything, timeout: soon }
              - prometheus: { url: "http://127.0.0.1:9090", query: up, for: 2d }
              - prometheus: { url: "http://127.0.0.1:9090", query: up, for: -1m }
              - http: { url: "http://127.0.0.1/", expectStatus: 999 }
              - nodesReady: { timeout: 500ms }
              - {}
              - soak: 1m
                http: { url: "http://127.0.0.1/" }
              - canary: {}
            """);

        Assert.Null(plan);
        Assert.Equal(
            [
                "strategy.gates[0].soak: \"10\" has no unit: write 10s, 10m, 10h or 10d",
                "strategy.gates[1].soak: \"25h\" is more than 1d",
                "strategy.gates[1].soak: one soak per plan (strategy.gates[0] has one already): a soak waits once, then checks every other gate again",
                "strategy.gates[2].nodesReady.scope: \"everything\" is not targeted or cluster",
                "strategy.gates[2].nodesReady.timeout: \"soon\" is not a duration such as 90s, 10m, 1h30m or 1d",
                "strategy.gates[3].prometheus.for: \"2d\" is more than 1d",
                "strategy.gates[4].prometheus.for: \"-1m\" is not a duration such as 90s, 10m, 1h30m or 1d (0s for one evaluation)",
                "strategy.gates[5].http.expectStatus: 999 is not an HTTP status (100 to 599)",
                "strategy.gates[6].nodesReady.timeout: \"500ms\" is less than 1s",
                "strategy.gates[7]: names no gate (nodesReady, soak, prometheus, http)",
                "strategy.gates[8].soak: one soak per plan (strategy.gates[0] has one already): a soak waits once, then checks every other gate again",
                "strategy.gates[8]: names 2 gates (soak, http); give one per list item",
                "strategy.gates[9]: names no gate (nodesReady, soak, prometheus, http)",
            ],
            problems.Skip(1));
        Assert.StartsWith("strategy.gates[9].canary: unknown key (line 14)", problems[0]); // the YAML binder's problem: an unknown gate kind
    }

    [Fact]
    public void GateProblems_AreListedWithTheRestOfThePlansProblems()
    {
        var (plan, problems) = PlanParser.Parse("""
            target: { arch: sparc }
            strategy:
              gates:
                - http: { url: "ftp://x" }
            recipe:
              install-cni: { version: v1.1.1 }
            """);
        Assert.Null(plan);
        Assert.Equal(2, problems.Count);
        Assert.Contains("target.arch: \"sparc\" is not an architecture (amd64, arm64, arm)", problems);
        Assert.Contains("strategy.gates[0].http.url: \"ftp://x\": scheme ftp is not http or https", problems);
    }

    [Fact]
    public void TheEffectiveStrategy_ListsTheGates()
    {
        var (plan, _) = Parse("""
              - soak: 90s
              - http: { url: "http://127.0.0.1:8080/ready" }
            """);
        Assert.Equal(["soak 1m30s", "http GET http://127.0.0.1:8080/ready answers 200"], StrategySummary.From(plan!.Strategy).Gates);
    }
}
