using Fleet.Testing;

namespace Fleet.IntegrationTests.Rollouts;

/// <summary>fleetctl against one coordinator's socket, the plan and catalog files it reads written into the test's folder.</summary>
public sealed class FleetctlSession(TempDir dir, string socket)
{
    public Task<Fleetctl.Result> RunAsync(params string[] args) => Fleetctl.RunAsync([.. args, "--socket", socket]);

    /// <summary>Writes <paramref name="yaml"/> to a new plan file; returns its path.</summary>
    public Task<string> PlanFileAsync(string yaml) => WriteAsync("plan", yaml);

    /// <summary>`catalog apply -f` of <paramref name="yaml"/>; it must succeed.</summary>
    public async Task ApplyCatalogAsync(string yaml)
    {
        var result = await RunAsync("catalog", "apply", "-f", await WriteAsync("catalog", yaml));
        Assert.True(result.ExitCode == 0, result.Stderr);
    }

    private async Task<string> WriteAsync(string kind, string yaml)
    {
        var file = dir.Combine($"{kind}-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, yaml);
        return file;
    }
}
