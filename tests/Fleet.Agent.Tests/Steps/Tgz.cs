using System.Formats.Tar;
using System.IO.Compression;

namespace Fleet.Agent.Tests.Steps;

/// <summary>Builds a gzip-compressed tar archive entry by entry, hostile entries included.</summary>
internal sealed class Tgz(TarEntryFormat format = TarEntryFormat.Pax)
{
    public const UnixFileMode Rwxr_xr_x = (UnixFileMode)0x1ED; // 0755
    public const UnixFileMode Rw_r__r__ = (UnixFileMode)0x1A4; // 0644

    private readonly List<TarEntry> _entries = [];

    public Tgz File(string name, byte[] content, UnixFileMode mode = Rwxr_xr_x)
    {
        var entry = New(format is TarEntryFormat.V7 ? TarEntryType.V7RegularFile : TarEntryType.RegularFile, name);
        entry.Mode = mode;
        entry.DataStream = new MemoryStream(content);
        _entries.Add(entry);
        return this;
    }

    public Tgz File(string name, string content, UnixFileMode mode = Rw_r__r__) => File(name, System.Text.Encoding.UTF8.GetBytes(content), mode);

    public Tgz Directory(string name) => Add(TarEntryType.Directory, name, e => e.Mode = Rwxr_xr_x);

    public Tgz Symlink(string name, string target) => Add(TarEntryType.SymbolicLink, name, e => e.LinkName = target);

    public Tgz HardLink(string name, string target) => Add(TarEntryType.HardLink, name, e => e.LinkName = target);

    public Tgz CharacterDevice(string name, int major, int minor) => Add(TarEntryType.CharacterDevice, name, e =>
    {
        ((PosixTarEntry)e).DeviceMajor = major;
        ((PosixTarEntry)e).DeviceMinor = minor;
    });

    public Tgz Fifo(string name) => Add(TarEntryType.Fifo, name, _ => { });

    /// <summary>Writes the archive to a file, creating its folder; returns the path.</summary>
    public string WriteTo(string path)
    {
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllBytes(path, ToBytes());
        return path;
    }

    public byte[] ToBytes()
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var writer = new TarWriter(gzip, format, leaveOpen: false))
        {
            foreach (var entry in _entries)
            {
                if (entry.DataStream is { } data)
                {
                    data.Position = 0;
                }

                writer.WriteEntry(entry);
            }
        }

        return buffer.ToArray();
    }

    private Tgz Add(TarEntryType type, string name, Action<TarEntry> configure)
    {
        var entry = New(type, name);
        configure(entry);
        _entries.Add(entry);
        return this;
    }

    private TarEntry New(TarEntryType type, string name) => format switch
    {
        TarEntryFormat.Pax => new PaxTarEntry(type, name),
        TarEntryFormat.Gnu => new GnuTarEntry(type, name),
        TarEntryFormat.Ustar => new UstarTarEntry(type, name),
        TarEntryFormat.V7 => new V7TarEntry(type, name),
        _ => throw new NotSupportedException($"tar format {format}"),
    };
}
