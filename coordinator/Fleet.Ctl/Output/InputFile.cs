namespace Fleet.Ctl.Output;

/// <summary>The file a `-f` option names; "-" reads standard input. An unreadable file is a usage error that names it.</summary>
internal static class InputFile
{
    public static async Task<string> ReadAsync(FileInfo path, CancellationToken ct)
    {
        try
        {
            return path.Name == "-" ? await Console.In.ReadToEndAsync(ct) : await File.ReadAllTextAsync(path.FullName, ct);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read {path}: {ex.Message}");
        }
    }
}
