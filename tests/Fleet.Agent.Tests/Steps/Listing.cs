namespace Fleet.Agent.Tests.Steps;

internal static class Listing
{
    /// <summary>Every entry under a folder, relative and sorted; links are listed, never followed.</summary>
    public static IReadOnlyList<string> Of(string folder)
    {
        var found = new List<string>();
        Walk(folder);
        return found.Order(StringComparer.Ordinal).ToArray();

        void Walk(string dir)
        {
            foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos())
            {
                found.Add(Path.GetRelativePath(folder, entry.FullName));
                if (entry is DirectoryInfo && entry.LinkTarget is null)
                {
                    Walk(entry.FullName);
                }
            }
        }
    }
}
