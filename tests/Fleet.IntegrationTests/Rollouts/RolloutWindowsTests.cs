using System.Globalization;
using Fleet.Testing;

namespace Fleet.IntegrationTests.Rollouts;

/// <summary>strategy.windows end to end: a real coordinator on the real clock, a real agent, fleetctl.</summary>
public sealed class RolloutWindowsTests : IAsyncLifetime
{
    private RolloutHarness _h = null!;

    public async Task InitializeAsync() => _h = await RolloutHarness.StartAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    [Fact]
    public async Task AWindowNotOpenNow_StartsNoNode_AndFleetctlShowsWaitingForWindow_UntilAnAbort()
    {
        var x1 = await _h.AgentAsync("x1", "x86_64");
        await _h.ApplyCatalogAsync(Fixtures.Catalog(_h.Artifacts.BaseUrl));

        // Three days from today in Berlin, 00:00-01:00: certainly not open now, and the next opening whatever the hour.
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        var day = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, berlin).Date.AddDays(3);
        var dayName = day.ToString("ddd", CultureInfo.InvariantCulture);
        var window = $"{dayName} 00:00-01:00 Europe/Berlin";
        var expected = $"waiting for window (next: {dayName} {day:yyyy-MM-dd} 00:00 Europe/Berlin)";
        var plan = await _h.PlanFileAsync($"""
            target: {"{}"}
            strategy:
              windows: ["{window}"]
            recipe:
              install-cni: {"{"} version: {Fixtures.CniVersion} {"}"}
            """);

        var dry = await _h.CtlAsync("rollout", "plan", "-f", plan);
        Assert.True(dry.ExitCode == 0, dry.Stderr);
        Assert.Contains($"windows: {window}\n", dry.Stdout);

        var id = await _h.ApplyAsync(await File.ReadAllTextAsync(plan));
        var waiting = await Eventually.Until(() => _h.GetAsync(id), r => r.TryGetProperty("windowWait", out var w) && w.ValueKind == System.Text.Json.JsonValueKind.String, "rollout get shows the wait for the window");
        Assert.Equal(expected, waiting.Str("windowWait"));
        Assert.Equal(("running", "pending"), (RolloutHarness.State(waiting), RolloutHarness.NodeState(waiting, "x1")));

        var get = await _h.CtlAsync("rollout", "get", id);
        Assert.Contains($"  {expected}\n", get.Stdout);
        Assert.Contains(expected, (await _h.CtlAsync("rollout", "list")).Stdout);
        Assert.Contains($"{expected}: no node starts outside strategy.windows; x1 is next", await _h.LogsAsync(id));
        Assert.False(File.Exists(Path.Join(x1.Root, "opt/cni/bin/bridge")), "no node started outside the window");

        var abort = await _h.CtlAsync("rollout", "abort", id);
        Assert.True(abort.ExitCode == 0, abort.Stderr);
        var aborted = await _h.UntilStateAsync(id, "aborted");
        Assert.Equal("skipped", RolloutHarness.NodeState(aborted, "x1"));
        Assert.False(aborted.TryGetProperty("windowWait", out var after) && after.ValueKind == System.Text.Json.JsonValueKind.String);
        Assert.False(File.Exists(Path.Join(x1.Root, "opt/cni/bin/bridge")));
    }
}
