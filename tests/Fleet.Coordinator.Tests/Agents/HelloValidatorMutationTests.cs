using System.Text.RegularExpressions;
using Fleet.Coordinator.Agents;
using Fleet.Testing.Mutation;
using Fleet.V1;
using Google.Protobuf;
using Xunit.Abstractions;

namespace Fleet.Coordinator.Tests.Agents;

/// <summary>
/// Bounded random-mutation run of the node facts check: mutated Hello bytes are refused by the protobuf parser
/// (what gRPC does with them) or reach <see cref="HelloValidator"/>, which never throws and lets a Hello through
/// only when an independent check of its facts holds; and field-level mutations of the facts alike.
/// </summary>
public sealed partial class HelloValidatorMutationTests(ITestOutputHelper output)
{
    private const int PerSeed = 500;

    private static Hello Seed(string name, Arch arch, string machine)
    {
        var facts = new NodeFacts
        {
            NodeName = name, Arch = arch, RawMachine = machine, Hostname = name, OsRelease = "Debian GNU/Linux 12 (bookworm)", Kernel = "6.1.0-18-arm64",
            BoardModel = "Raspberry Pi 4 Model B Rev 1.4", CpuCount = 4, MemoryTotalBytes = 4L << 30, AgentVersion = "0.1.0", KubeletVersion = "v1.28.3",
            KubeadmVersion = "v1.28.3", ContainerRuntime = "containerd://1.6.20",
        };
        facts.CniPlugins.AddRange(["bridge", "loopback", "portmap"]);
        facts.Labels["role"] = "worker";
        var hello = new Hello { Facts = facts };
        hello.FinishedStepIds.Add("r1-abc-0-0");
        return hello;
    }

    private static readonly Hello[] Seeds = [Seed("pi-1", Arch.Arm64, "aarch64"), Seed("odroid-hc1", Arch.Arm, "armv7l"), Seed("x86.lab", Arch.Amd64, "x86_64")];

    [Fact]
    public async Task MutationRun_EveryMutatedHello_IsRefusedByTheParserOrTheValidator_OrIndependentlyValid()
    {
        Assert.All(Seeds, s => Assert.Empty(HelloValidator.Problems(s)));
        var run = new MutationRun("node facts (Hello bytes + HelloValidator)");
        await run.DriveAsync(PerSeed, (m, i) =>
        {
            var bytes = m.Bytes(Seeds[m.Random.Next(Seeds.Length)].ToByteArray());
            Hello hello;
            try
            {
                hello = Hello.Parser.ParseFrom(bytes);
            }
            catch (InvalidProtocolBufferException)
            {
                run.Refuse();
                return Task.CompletedTask;
            }

            Judge(run, m, i, hello, MutationRun.Show(bytes));
            return Task.CompletedTask;
        }, TimeSpan.FromSeconds(180));

        output.WriteLine(run.Summary);
        Assert.True(run.Failures.Count == 0, run.Report);
    }

    [Fact]
    public async Task MutationRun_EveryFieldMutatedFacts_IsRefusedByTheValidatorOrIndependentlyValid()
    {
        var run = new MutationRun("node facts (fields + HelloValidator)");
        await run.DriveAsync(PerSeed, (m, i) =>
        {
            var hello = Seeds[m.Random.Next(Seeds.Length)].Clone();
            switch (m.Random.Next(5))
            {
                case 0:
                    hello.Facts.NodeName = m.Text(hello.Facts.NodeName);
                    break;
                case 1:
                    hello.Facts.Arch = (Arch)m.Random.Next(-2, 8);
                    break;
                case 2:
                    hello.Facts.AgentVersion = m.Random.Next(3) == 0 ? " \t" : m.Text(hello.Facts.AgentVersion);
                    break;
                case 3:
                    hello.Facts = null;
                    break;
                default:
                    hello.Facts.Labels[m.Text("fleet.io/kubernetes-node")] = m.Text("cp-1");
                    hello.Facts.Hostname = m.Text(hello.Facts.Hostname);
                    break;
            }

            Judge(run, m, i, hello, hello.ToString());
            return Task.CompletedTask;
        }, TimeSpan.FromSeconds(180));

        output.WriteLine(run.Summary);
        Assert.True(run.Failures.Count == 0, run.Report);
    }

    private static void Judge(MutationRun run, Mutator m, int i, Hello hello, string shown)
    {
        try
        {
            var problems = HelloValidator.Problems(hello);
            if (problems.Count > 0)
            {
                run.Refuse();
            }
            else if (hello.Facts is null || !NodeName().IsMatch(hello.Facts.NodeName) || hello.Facts.Arch is not (Arch.Amd64 or Arch.Arm64 or Arch.Arm)
                || string.IsNullOrWhiteSpace(hello.Facts.AgentVersion))
            {
                run.Fail(m.Seed, i, "accepted, but its name, arch or agent version is not valid", shown);
            }
            else
            {
                run.Accept();
            }
        }
        catch (Exception ex)
        {
            run.Fail(m.Seed, i, $"threw {ex.GetType().Name}: {ex.Message}", shown);
        }
    }

    [GeneratedRegex("^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$")]
    private static partial Regex NodeName();
}
