namespace Fleet.Ctl.Output;

/// <summary>The file a `-f` option names; "-" reads standard input. A folder, a missing or an unreadable file is a usage error that names it.</summary>
internal static class InputFile
{
    public static async Task<string> ReadAsync(FileInfo path, CancellationToken ct)
    {
        if (path.Name == "-" && path.ToString() == "-")
        {
            return await Console.In.ReadToEndAsync(ct);
        }

        if (Directory.Exists(path.FullName))
        {
            throw new UsageException($"-f: {path} is a folder; give a YAML file (or - for standard input)");
        }

        if (!path.Exists)
        {
            throw new UsageException($"-f: {path} does not exist");
        }

        try
        {
            return await File.ReadAllTextAsync(path.FullName, ct);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"-f: cannot read {path}: {ex.Message}");
        }
    }
}
