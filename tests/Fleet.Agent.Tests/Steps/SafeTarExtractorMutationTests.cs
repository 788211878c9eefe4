using System.Formats.Tar;
using System.IO.Compression;
using Fleet.Agent.Steps;
using Fleet.Testing;
using Fleet.Testing.Mutation;
using Xunit.Abstractions;

namespace Fleet.Agent.Tests.Steps;

/// <summary>
/// Bounded random-mutation run of <see cref="SafeTarExtractor"/> over the fixture tarballs (the hostile ones as
/// they are on disk, and the real CNI plugins tarball cut down to its first entries) and a few built here:
/// mutated gzip bytes, and mutated tar bytes gzipped again. Each is refused with a <see cref="StepFailedException"/>
/// or extracted; either way nothing is written outside the target, and an extraction is then checked
/// independently: only folders, regular files without group/other write or set-id bits, and links that stay inside.
/// </summary>
public sealed class SafeTarExtractorMutationTests(ITestOutputHelper output) : IDisposable
{
    private const int PerSeed = 500;
    private const long Cap = 1 << 20;
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static List<byte[]> Seeds()
    {
        var artifacts = Path.Join(Repo.Root, ".cache", "artifacts");
        var hostile = Path.Join(artifacts, "hostile");
        Assert.True(Directory.Exists(hostile), $"{hostile} is missing: run tests/fixtures/make-artifacts.sh (./test.sh does)");
        var seeds = Directory.GetFiles(hostile, "*.tgz").Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToList();
        Assert.Equal(4, seeds.Count);
        seeds.Add(Head(Path.Join(artifacts, "cni-plugins-linux-arm64-v1.1.1.tgz"), entries: 4, bytesEach: 1024));
        seeds.Add(new Tgz().Directory("./").File("./loopback", Elf.X86_64("loopback")).Symlink("./lo", "loopback").Directory("./sub").File("./sub/x", "x\n").ToBytes());
        seeds.Add(new Tgz(TarEntryFormat.Gnu).File("./" + new string('p', 120), "long name\n").File("./bridge", Elf.X86_64("bridge")).ToBytes());
        seeds.Add(new Tgz(TarEntryFormat.V7).File("portmap", Elf.X86_64("portmap")).ToBytes());
        return seeds;
    }

    /// <summary>The first entries of a real tarball, each file cut to <paramref name="bytesEach"/>, as PAX.</summary>
    private static byte[] Head(string tarball, int entries, int bytesEach)
    {
        Assert.True(File.Exists(tarball), $"{tarball} is missing: run tests/fixtures/make-artifacts.sh (./test.sh does)");
        using var file = File.OpenRead(tarball);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new TarReader(gzip);
        using var buffer = new MemoryStream();
        using (var zipped = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var writer = new TarWriter(zipped, TarEntryFormat.Pax))
        {
            for (var i = 0; i < entries && reader.GetNextEntry() is { } entry; i++)
            {
                var copy = new PaxTarEntry(entry.EntryType, entry.Name) { Mode = entry.Mode };
                if (entry.DataStream is { } data)
                {
                    var head = new byte[Math.Min(bytesEach, entry.Length)];
                    data.ReadExactly(head);
                    copy.DataStream = new MemoryStream(head);
                }

                writer.WriteEntry(copy);
            }
        }

        return buffer.ToArray();
    }

    [Fact]
    public async Task MutationRun_EveryMutatedTarball_IsRefusedOrExtractedSafely_AndNothingLandsOutsideTheTarget()
    {
        var seeds = Seeds();
        var tars = seeds.Select(GzipBytes.Decompress).ToList();
        var run = new MutationRun("SafeTarExtractor");
        await run.DriveAsync(PerSeed, async (m, i) =>
        {
            var which = m.Random.Next(seeds.Count);
            var archive = m.Random.Next(10) < 3 ? m.Bytes(seeds[which]) : GzipBytes.Compress(m.Bytes(tars[which]));
            var outside = _dir.Combine($"{m.Seed}-{i}");
            var target = Path.Join(outside, "stage", "target");
            var path = Path.Join(outside, "archive.tgz");
            Directory.CreateDirectory(outside);
            await File.WriteAllBytesAsync(path, archive);
            IReadOnlyList<string>? files = null;
            string? unexpected = null;
            try
            {
                files = await SafeTarExtractor.ExtractAsync(path, target, Cap, CancellationToken.None);
            }
            catch (StepFailedException)
            {
            }
            catch (Exception ex)
            {
                unexpected = $"threw {ex.GetType().Name}: {ex.Message} {string.Join(" < ", (ex.StackTrace ?? "").Split('\n').Take(3).Select(l => l.Trim()))}";
            }

            var wrong = unexpected ?? Outside(outside, path, target) ?? (files is null ? null : Unsafe(target, files));
            if (wrong is not null)
            {
                run.Fail(m.Seed, i, wrong, $"seed archive #{which}, mutated: {MutationRun.Show(archive)}");
            }
            else if (files is null)
            {
                run.Refuse();
            }
            else
            {
                run.Accept();
            }

            Directory.Delete(outside, recursive: true);
        }, TimeSpan.FromSeconds(300));

        output.WriteLine(run.Summary);
        Assert.True(run.Failures.Count == 0, run.Report);
    }

    /// <summary>Anything in the test's folder besides the archive, stage/ and what is under the target.</summary>
    private static string? Outside(string outside, string archive, string target)
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(outside, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            if (entry != archive && entry != Path.GetDirectoryName(target) && entry != target && !entry.StartsWith(target + "/", StringComparison.Ordinal))
            {
                return $"wrote {entry} outside the target";
            }
        }

        return null;
    }

    /// <summary>The independent check of an extraction: listed files are regular files inside, modes safe, links inside.</summary>
    private static string? Unsafe(string target, IReadOnlyList<string> files)
    {
        foreach (var file in files)
        {
            var full = Path.GetFullPath(Path.Join(target, file));
            if (file.Split('/').Contains("..") || !full.StartsWith(target + "/", StringComparison.Ordinal) || !File.Exists(full) || new FileInfo(full).LinkTarget is not null)
            {
                return $"listed \"{file}\", which is not a regular file inside the target";
            }

            if (((int)File.GetUnixFileMode(full) & ~0x1ED) != 0)
            {
                return $"\"{file}\" has mode {Convert.ToString((int)File.GetUnixFileMode(full), 8)}";
            }
        }

        foreach (var entry in Directory.EnumerateFileSystemEntries(target, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            if (new FileInfo(entry).LinkTarget is { } link)
            {
                var resolved = Path.GetFullPath(link.StartsWith('/') ? link : Path.Join(Path.GetDirectoryName(entry)!, link));
                if (link.StartsWith('/') || !resolved.StartsWith(target + "/", StringComparison.Ordinal))
                {
                    return $"the link {entry} -> {link} leaves the target";
                }
            }
        }

        return null;
    }
}
