using System.Buffers.Binary;
using Fleet.V1;

namespace Fleet.Agent.Steps;

/// <summary>
/// The machine an ELF file was built for (e_machine in its header). The agent refuses to install an
/// executable for another machine, even when its checksum matches.
/// </summary>
public static class ElfMachine
{
    public const ushort X86_64 = 62;
    public const ushort AArch64 = 183;
    public const ushort Arm = 40;

    /// <summary>The e_machine of a file, or null when it is not an ELF file.</summary>
    public static ushort? Read(string path)
    {
        Span<byte> header = stackalloc byte[20];
        using var file = File.OpenRead(path);
        if (file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length
            || header[0] != 0x7F || header[1] != (byte)'E' || header[2] != (byte)'L' || header[3] != (byte)'F')
        {
            return null;
        }

        // EI_DATA (byte 5): 1 little-endian, 2 big-endian. e_machine sits at offset 18 in both classes.
        return header[5] == 2
            ? BinaryPrimitives.ReadUInt16BigEndian(header[18..])
            : BinaryPrimitives.ReadUInt16LittleEndian(header[18..]);
    }

    public static ushort For(Arch arch) => arch switch
    {
        Arch.Amd64 => X86_64,
        Arch.Arm64 => AArch64,
        Arch.Arm => Arm,
        _ => throw new ArgumentOutOfRangeException(nameof(arch), arch, "not a known architecture"),
    };

    public static string Name(ushort machine) => machine switch
    {
        X86_64 => "x86-64",
        AArch64 => "AArch64",
        Arm => "ARM",
        _ => $"machine {machine}",
    };

    /// <summary>Throws naming both machines when <paramref name="path"/> is not an ELF executable for <paramref name="arch"/>.</summary>
    public static void Require(string path, string shownName, Arch arch)
    {
        var expected = For(arch);
        var actual = Read(path) ?? throw new StepFailedException($"{shownName} is not an ELF executable; this node ({arch.ToName()}) needs {Name(expected)}");
        if (actual != expected)
        {
            throw new StepFailedException($"{shownName} is built for {Name(actual)}, but this node is {arch.ToName()} ({Name(expected)}); refusing to install it");
        }
    }
}
