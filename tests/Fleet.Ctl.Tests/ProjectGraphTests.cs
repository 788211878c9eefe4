using System.Reflection;

namespace Fleet.Ctl.Tests;

/// <summary>
/// The project graph as README's layout table states it: the contract references nothing of Fleet's
/// and no logging; the shared helpers reference no package; fleetctl carries neither Serilog nor the
/// coordinator. Checked on the compiled assemblies, so a new reference fails here, not in review.
/// </summary>
public sealed class ProjectGraphTests
{
    private static readonly Assembly Ctl = typeof(CtlContext).Assembly;
    private static readonly Assembly Protos = typeof(Fleet.V1.ControlService).Assembly;
    private static readonly Assembly Common = typeof(DurationText).Assembly;

    [Fact]
    public void TheContract_ReferencesTheProtobufAndGrpcRuntimeOnly()
    {
        Assert.Equal("Fleet.Protos", Protos.GetName().Name);
        var foreign = References(Protos).Where(n => !n.StartsWith("System.", StringComparison.Ordinal) && n is not ("System" or "netstandard" or "Google.Protobuf" or "Grpc.Core.Api")).ToList();
        Assert.Empty(foreign);
    }

    [Fact]
    public void TheSharedHelpers_ReferenceTheFrameworkOnly()
    {
        Assert.Equal("Fleet.Common", Common.GetName().Name);
        Assert.All(References(Common), n => Assert.True(n == "System" || n.StartsWith("System.", StringComparison.Ordinal), $"Fleet.Common references {n}"));
    }

    [Fact]
    public void Fleetctl_ReachesNeitherSerilogNorTheCoordinator()
    {
        var reached = Closure(Ctl);
        Assert.Contains("Fleet.Protos", reached);
        Assert.Contains("Fleet.Common", reached);
        Assert.DoesNotContain(reached, n => n.StartsWith("Serilog", StringComparison.Ordinal));
        Assert.DoesNotContain("Fleet.Logging", reached);
        Assert.DoesNotContain("fleet-coordinator", reached);
    }

    private static List<string> References(Assembly assembly) => assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();

    /// <summary>Every assembly reachable from <paramref name="root"/> through Fleet's own assemblies and their direct references.</summary>
    private static HashSet<string> Closure(Assembly root)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal) { root.GetName().Name! };
        var queue = new Queue<Assembly>([root]);
        while (queue.Count > 0)
        {
            foreach (var name in queue.Dequeue().GetReferencedAssemblies())
            {
                if (seen.Add(name.Name!) && !name.Name!.StartsWith("System", StringComparison.Ordinal) && name.Name != "netstandard")
                {
                    queue.Enqueue(Assembly.Load(name));
                }
            }
        }

        return seen;
    }
}
