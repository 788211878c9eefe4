using Fleet.Coordinator.Catalog;
using Fleet.Coordinator.Rollouts;

namespace Fleet.Coordinator.Tests.Yaml;

/// <summary>Plan and catalog mistakes in Fleet's words: every problem at once, by path, the type expected, a did-you-mean; never a .NET name.</summary>
public sealed class YamlBinderTests
{
    private const string Plan = """
        name: upgrade
        target: { names: [pi1, pi2], arch: arm64, labels: { role: worker } }
        strategy:
          batchSize: 2
          canary: 1
          pauseBetweenBatches: 30s
          onFailure: pause
          keepCordoned: false
          timeouts: { download: 5m }
        steps:
          - download: { component: kubectl, version: v1.20.2, dest: /usr/bin/kubectl, mode: "0755" }
          - drain: { gracePeriod: 20s, deleteWhenEvictionBlocked: true }
          - systemd: { action: restart, unit: kubelet.service }
        """;

    private const string Catalog = """
        mirrors:
          - { prefix: "https://dl.k8s.io/", replacement: "http://mirror.local/k8s/" }
        components:
          kubectl:
            kind: binary
            url: "https://dl.k8s.io/{version}/bin/{os}/{arch}/kubectl"
            versions:
              v1.20.2:
                amd64: { sha256: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa }
                arm64: { sha256: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb }
        """;

    private static readonly string[] Forbidden = ["Fleet.", "System.", "deserializ", "Document", "Exception", "Culture=", "PublicKeyToken"];

    [Fact]
    public void TheValidInputs_HaveNoProblem()
    {
        Assert.Empty(PlanParser.Parse(Plan).Problems);
        Assert.Empty(CatalogParser.Parse(Catalog).Problems);
    }

    [Fact]
    public void Plan_EveryProblemAtOnce_ByPath_WithTheTypeExpected_AndDidYouMean()
    {
        const string yaml = """
            target: { nmes: [pi1], arch: [arm64] }
            strategy: { batchSize: [1], canary: many, keepCordoned: perhaps, pauseBetweenBatches: 1, pauseBetweenBatch: 5s }
            recipe: { install-cni: { version: v1.1.1, destdir: /opt/cni/bin } }
            """;

        var (plan, problems) = PlanParser.Parse(yaml);

        Assert.Null(plan);
        Assert.Equal(
            [
                "target.nmes: unknown key (line 1); did you mean names?",
                "target.arch: expected a text value, found a list (line 1)",
                "strategy.batchSize: expected a text value, found a list (line 2)",
                "strategy.canary: expected a whole number, found \"many\" (line 2)",
                "strategy.keepCordoned: expected true or false, found \"perhaps\" (line 2)",
                "strategy.pauseBetweenBatch: unknown key (line 2); did you mean pauseBetweenBatches?",
                "recipe.install-cni.destdir: unknown key (line 3); did you mean destDir?",
                "strategy.pauseBetweenBatches: \"1\" has no unit: write 1s, 1m, 1h or 1d (0s for none)",
            ],
            problems);
    }

    [Fact]
    public void Catalog_WrongShapes_AreNamedByPath_NotByType()
    {
        var (catalog, problems) = CatalogParser.Parse("components:\n  kubectl: [binary]\n  cni:\n    kind: cni-plugins\n    versions: v1.1.1\n");

        Assert.Null(catalog);
        Assert.Contains("components.kubectl: expected a mapping (key: value), found a list (line 2)", problems);
        Assert.Contains("components.cni.versions: expected a mapping of names to values, found \"v1.1.1\" (line 5)", problems);
    }

    [Theory]
    [InlineData("[1, 2]", "the document: expected a mapping (key: value), found a list (line 1)")]
    [InlineData("just text", "the document: expected a mapping (key: value), found \"just text\" (line 1)")]
    [InlineData("target: {}\n---\ntarget: {}\n", "one YAML document expected, found 2 (separated by ---)")]
    [InlineData("target: {\n", "line ")]
    [InlineData("target: { labels: { role: } }\nrecipe: { install-cni: { version: v1.1.1 } }", "target.labels.role: empty")]
    [InlineData("target: {}\nstrategy: { timeouts: { download: } }\nrecipe: { install-cni: { version: v1.1.1 } }", "strategy.timeouts.download: empty")]
    public void Plan_NotAMapping_OrNotYaml_IsSaidPlainly(string yaml, string problem) =>
        Assert.Contains(PlanParser.Parse(yaml).Problems, p => p.StartsWith(problem, StringComparison.Ordinal));

    [Fact]
    public void Plan_AListWithAnEmptyEntry_NamesEachLaterEntryByItsOwnIndex()
    {
        const string yaml = """
            target:
              names:
                - pi1
                -
                - "bad name!"
            steps:
              -
              - systemd: { action: bounce, unit: kubelet.service }
            """;

        var problems = PlanParser.Parse(yaml).Problems;

        Assert.Contains("target.names[1]: empty", problems);
        Assert.Contains("steps[0]: empty", problems);
        Assert.DoesNotContain(problems, p => p.StartsWith("target.names[1]: \"bad name!\"", StringComparison.Ordinal));
        Assert.DoesNotContain(problems, p => p.StartsWith("steps[0].systemd", StringComparison.Ordinal));
    }

    public static TheoryData<string> Mutations()
    {
        var data = new TheoryData<string>();
        foreach (var source in new[] { Plan, Catalog })
        {
            var lines = source.Split('\n');
            for (var i = 0; i < lines.Length; i++)
            {
                var colon = lines[i].IndexOf(':', StringComparison.Ordinal);
                if (colon < 0)
                {
                    continue;
                }

                string Replace(string value) => string.Join('\n', lines.Take(i).Append(lines[i][..(colon + 1)] + " " + value).Concat(lines.Skip(i + 1)));
                data.Add(Replace("[1, 2]"));                                 // a list where a value or mapping goes
                data.Add(Replace("{ a: 1 }"));                                // a mapping where a value goes
                data.Add(Replace("yes-and-no"));                              // text where a number, boolean or mapping goes
                data.Add(Replace("&anchor { <<: *anchor }"));                 // a broken alias
                data.Add(string.Join('\n', lines.Take(i).Append(lines[i].Insert(colon, "x")).Concat(lines.Skip(i + 1)))); // a misspelt key
                data.Add(source[..source.IndexOf(lines[i], StringComparison.Ordinal)] + lines[i][..colon]); // cut short
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Mutations))]
    public void MutatedInputs_NeverThrow_AndNeverShowDotNetNames(string yaml)
    {
        var plan = PlanParser.Parse(yaml).Problems;
        var catalog = CatalogParser.Parse(yaml).Problems;

        foreach (var problem in plan.Concat(catalog))
        {
            foreach (var word in Forbidden)
            {
                Assert.DoesNotContain(word, problem, word == "deserializ" ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
            }
        }
    }
}
