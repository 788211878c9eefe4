using System.Formats.Tar;
using System.IO.Compression;

namespace Fleet.Agent.Steps;

/// <summary>
/// Extracts a .tgz into an empty folder and refuses, before writing anything outside it, entries
/// with absolute paths, ".." segments, links that leave the folder, device files and FIFOs, and
/// archives that expand beyond a size cap or hold more entries than a count cap (100,000 tiny
/// entries cost inodes and time, not bytes). Returns the regular files extracted (relative paths).
/// </summary>
public static class SafeTarExtractor
{
    /// <summary>Entries of every kind an archive may hold; a CNI plugins release has about 30.</summary>
    public const int DefaultMaxEntries = 4096;

    public static Task<IReadOnlyList<string>> ExtractAsync(string archive, string target, long maxExpandedBytes, CancellationToken ct) =>
        ExtractAsync(archive, target, maxExpandedBytes, DefaultMaxEntries, ct);

    public static async Task<IReadOnlyList<string>> ExtractAsync(string archive, string target, long maxExpandedBytes, int maxEntries, CancellationToken ct)
    {
        try
        {
            return await ExtractEntriesAsync(archive, target, maxExpandedBytes, maxEntries, ct);
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or EndOfStreamException or OverflowException)
        {
            // A corrupt gzip stream or tar header can surface at any entry, or inside an entry's data, not only at the
            // first one (found by SafeTarExtractorMutationTests): every such archive is refused the same way. A PAX
            // timestamp too large for a date throws OverflowException from System.Formats.Tar (found the same way).
            throw new StepFailedException($"not a gzip-compressed tar archive: {ex.Message}");
        }
    }

    private static async Task<IReadOnlyList<string>> ExtractEntriesAsync(string archive, string target, long maxExpandedBytes, int maxEntries, CancellationToken ct)
    {
        var entries = 0;
        var root = Path.GetFullPath(target);
        Directory.CreateDirectory(root);
        var files = new List<string>();
        long expanded = 0;
        await using var file = File.OpenRead(archive);
        await using var gzip = new GZipStream(file, CompressionMode.Decompress);
        await using var reader = new TarReader(gzip);
        var entry = await reader.GetNextEntryAsync(copyData: false, ct);
        while (entry is not null)
        {
            if (++entries > maxEntries)
            {
                throw new StepFailedException($"the archive holds more than {maxEntries} entries; refusing it");
            }

            var name = Normalize(entry.Name);
            if (name.Length > 0)
            {
                var path = Inside(root, name, entry.Name);
                switch (entry.EntryType)
                {
                    case TarEntryType.Directory:
                        Directory.CreateDirectory(path);
                        break;
                    case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                        expanded += entry.Length;
                        if (expanded > maxExpandedBytes)
                        {
                            throw new StepFailedException($"the archive expands beyond {maxExpandedBytes} bytes; refusing it");
                        }

                        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                        if (File.Exists(path) || Directory.Exists(path) || new FileInfo(path).LinkTarget is not null)
                        {
                            throw new StepFailedException($"archive entry \"{entry.Name}\" appears twice or replaces a link; refusing it");
                        }

                        await entry.ExtractToFileAsync(path, overwrite: false, ct);
                        File.SetUnixFileMode(path, (UnixFileMode)((int)entry.Mode & 0x1ED)); // rwxr-xr-x at most: no setuid, no world-write
                        files.Add(name);
                        break;
                    case TarEntryType.SymbolicLink:
                        RequireLinkInside(root, path, entry.LinkName, entry.Name);
                        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                        File.CreateSymbolicLink(path, entry.LinkName);
                        break;
                    case TarEntryType.HardLink:
                        throw new StepFailedException($"archive entry \"{entry.Name}\" is a hard link; refusing it");
                    case TarEntryType.CharacterDevice or TarEntryType.BlockDevice or TarEntryType.Fifo:
                        throw new StepFailedException($"archive entry \"{entry.Name}\" is a device or FIFO ({entry.EntryType}); refusing it");
                    case TarEntryType.GlobalExtendedAttributes or TarEntryType.ExtendedAttributes:
                        break;
                    default:
                        throw new StepFailedException($"archive entry \"{entry.Name}\" has a type Fleet does not install ({entry.EntryType})");
                }
            }

            entry = await reader.GetNextEntryAsync(copyData: false, ct);
        }

        return files;
    }

    /// <summary>"./loopback" -> "loopback"; an absolute or parent-escaping name is refused by <see cref="Inside"/>.</summary>
    private static string Normalize(string name)
    {
        while (name.StartsWith("./", StringComparison.Ordinal))
        {
            name = name[2..];
        }

        return name.TrimEnd('/') is "." ? "" : name.TrimEnd('/');
    }

    private static string Inside(string root, string name, string shown)
    {
        if (name.StartsWith('/'))
        {
            throw new StepFailedException($"archive entry \"{shown}\" has an absolute path; refusing it");
        }

        if (name.Split('/').Contains(".."))
        {
            throw new StepFailedException($"archive entry \"{shown}\" climbs out with \"..\"; refusing it");
        }

        var path = Path.GetFullPath(Path.Join(root, name));
        if (!path.StartsWith(root + "/", StringComparison.Ordinal))
        {
            throw new StepFailedException($"archive entry \"{shown}\" lands outside the target; refusing it");
        }

        // A folder on the way that is a link (made by an earlier entry) takes the entry wherever the
        // link really leads, which the lexical checks here cannot see: refuse it.
        for (var dir = Path.GetDirectoryName(path)!; dir.Length > root.Length; dir = Path.GetDirectoryName(dir)!)
        {
            if (new DirectoryInfo(dir).LinkTarget is not null)
            {
                throw new StepFailedException($"archive entry \"{shown}\" goes through the link \"{Path.GetRelativePath(root, dir)}\"; refusing it");
            }
        }

        return path;
    }

    private static void RequireLinkInside(string root, string linkPath, string target, string shown)
    {
        if (target.Contains('\0', StringComparison.Ordinal))
        {
            // A PAX linkpath can hold one; no file name can (Path.GetFullPath would throw, found by SafeTarExtractorMutationTests).
            throw new StepFailedException($"archive entry \"{shown}\" is a link to a name with a NUL character; refusing it");
        }

        // "a/../.." climbs from wherever a really leads when a is itself a link; only leading ".."
        // segments (from the link's own folder, which is no link) resolve here as the kernel does.
        if (target.Split('/').Where(s => s is not ("" or ".")).SkipWhile(s => s == "..").Contains(".."))
        {
            throw new StepFailedException($"archive entry \"{shown}\" is a link to \"{target}\", with \"..\" after a name; refusing it");
        }

        var resolved = Path.GetFullPath(target.StartsWith('/') ? target : Path.Join(Path.GetDirectoryName(linkPath)!, target));
        if (target.StartsWith('/') || !resolved.StartsWith(root + "/", StringComparison.Ordinal))
        {
            throw new StepFailedException($"archive entry \"{shown}\" is a link to \"{target}\", outside the target; refusing it");
        }
    }
}
