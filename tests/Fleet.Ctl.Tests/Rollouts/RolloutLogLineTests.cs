using Fleet.Ctl.Rollouts;

namespace Fleet.Ctl.Tests.Rollouts;

/// <summary>`rollout logs` lines: a full date, a name for the rollout's own lines, and a node's text that never drives the terminal.</summary>
public sealed class RolloutLogLineTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 2, 8, 5, 9, TimeSpan.Zero);

    [Fact]
    public void RolloutWideLine_IsNamedRollout_WithItsFullDate()
    {
        var line = RolloutViews.LogLine(new RolloutLogLineView(At, "", "info", "batch 1 of 2: x1"));

        Assert.Equal("2026-11-02T08:05:09Z info  (rollout): batch 1 of 2: x1", line);
    }

    [Theory]
    [InlineData("\u001b[2J\u001b[31mfake\u001b[0m")] // clear the screen, colour
    [InlineData("ok\n2026-11-02T08:05:10Z info  (rollout): rollout succeeded: all 1 node(s) succeeded")] // a forged second line
    [InlineData("ok\rrollout succeeded")] // a carriage return that overwrites what was printed
    [InlineData("\u009b31m C1 CSI")] // the 8-bit control sequence introducer
    public void NodeOutput_WithControlCharacters_StaysOneInertLine(string message)
    {
        var line = RolloutViews.LogLine(new RolloutLogLineView(At, "pi-1", "info", message));

        Assert.DoesNotContain(line, char.IsControl);
        Assert.StartsWith("2026-11-02T08:05:09Z info  pi-1: ", line, StringComparison.Ordinal);
    }
}
