using Fleet.CommandDocs;

namespace Fleet.Agent.Tests.Hosting;

/// <summary>A fleet-agent command line that does not parse is a usage error: exit 2 (the unit does not restart on it), nothing run.</summary>
public sealed class UsageErrorTests
{
    [Theory]
    [InlineData("--bogus")]
    [InlineData("enroll", "--coordinator")]
    [InlineData("no-such-command")]
    public async Task AnUnparsableCommandLine_ExitsTwo_NamingTheProblem(params string[] args)
    {
        using var stderr = new StringWriter();

        var code = await UsageErrors.InvokeAsync(Program.Root(), args, stderr);

        Assert.Equal(2, code);
        Assert.All(stderr.ToString().TrimEnd('\n').Split('\n'), l => Assert.StartsWith(Program.Root().Name + ": ", l, StringComparison.Ordinal));
        Assert.Contains(args[^1], stderr.ToString(), StringComparison.Ordinal);
    }
}
