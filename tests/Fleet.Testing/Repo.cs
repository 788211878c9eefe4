namespace Fleet.Testing;

/// <summary>Where the repository and the other projects' build outputs are, seen from a test's bin folder.</summary>
public static class Repo
{
    public static string Root { get; } = FindRoot();

    /// <summary>A file in another project's build output, of the configuration and framework this test runs in.</summary>
    public static string BuildOutput(string projectFolder, string file)
    {
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/')); // bin/<Configuration>/<framework>
        return Path.Join(Root, projectFolder, "bin", testBin.Parent!.Name, testBin.Name, file);
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Join(dir.FullName, "Fleet.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Fleet.sln not found above the test folder");
    }
}
