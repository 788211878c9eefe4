using Fleet.CommandDocs;

namespace Fleet.Coordinator.Tests.Hosting;

/// <summary>A fleet-coordinator command line that does not parse is a usage error: exit 2, as fleet-coordinator(1) says, nothing started.</summary>
public sealed class UsageErrorTests
{
    [Theory]
    [InlineData("--bogus")]
    [InlineData("--listen")]
    public async Task AnUnparsableCommandLine_ExitsTwo_NamingTheProblem(string arg)
    {
        using var stderr = new StringWriter();

        var code = await UsageErrors.InvokeAsync(Program.Root(), [arg], stderr);

        Assert.Equal(2, code);
        Assert.Contains(arg, stderr.ToString(), StringComparison.Ordinal);
        Assert.All(stderr.ToString().TrimEnd('\n').Split('\n'), l => Assert.StartsWith(Program.Root().Name + ": ", l, StringComparison.Ordinal));
    }
}
