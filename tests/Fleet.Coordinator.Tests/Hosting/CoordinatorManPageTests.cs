using Fleet.Testing;

namespace Fleet.Coordinator.Tests.Hosting;

/// <summary>fleet-coordinator(1) is generated from the coordinator's command tree (`fleet-coordinator man`); the package installs the checked-in copy.</summary>
public sealed class CoordinatorManPageTests
{
    [Fact]
    public async Task PackagedPage_IsWhatTheCommandTreeGenerates()
    {
        var page = await ManPages.GenerateAsync(Program.Root());

        Assert.Null(await ManPages.StalenessAsync(page, "packaging/debian/fleet-coordinator/fleet-coordinator.1", "fleet-coordinator man"));
    }

    [Fact]
    public async Task Page_HasEveryOption_AndGroffReadsItWithoutAWarning()
    {
        var root = Program.Root();
        var page = await ManPages.GenerateAsync(root);

        Assert.StartsWith(".TH FLEET-COORDINATOR 1", page, StringComparison.Ordinal);
        Assert.All(root.Options.Where(o => !o.Hidden), o => Assert.Contains(o.Name.Replace("-", "\\-", StringComparison.Ordinal) + (o.Arity.MaximumNumberOfValues == 0 ? "" : "\\fR \\fI"), page, StringComparison.Ordinal));
        Assert.Contains("/etc/default/fleet\\-coordinator", page, StringComparison.Ordinal);
        Assert.Equal("", await ManPages.GroffWarningsAsync(page));
    }
}
