using Fleet.Agent.Facts;
using Fleet.V1;

namespace Fleet.Agent.Tests.Facts;

public sealed class ArchNormalizerTests
{
    [Theory]
    [InlineData("x86_64")]
    [InlineData("amd64")]
    public void Normalize_X86_64_IsAmd64(string raw) => Assert.Equal(Arch.Amd64, ArchNormalizer.Normalize(raw));

    [Theory]
    [InlineData("aarch64")]
    [InlineData("arm64")]
    public void Normalize_Aarch64_IsArm64(string raw) => Assert.Equal(Arch.Arm64, ArchNormalizer.Normalize(raw));

    [Theory]
    [InlineData("armv7l")]
    [InlineData("armv6l")]
    [InlineData("armhf")]
    [InlineData("arm")]
    public void Normalize_Armv7l_IsArm(string raw) => Assert.Equal(Arch.Arm, ArchNormalizer.Normalize(raw));

    [Theory]
    [InlineData(" AArch64\n", Arch.Arm64)]
    [InlineData("X86_64", Arch.Amd64)]
    public void Normalize_CaseAndWhitespace_AreIgnored(string raw, Arch expected) => Assert.Equal(expected, ArchNormalizer.Normalize(raw));

    [Theory]
    [InlineData("riscv64")]
    [InlineData("")]
    [InlineData("i686")]
    [InlineData("ppc64le")]
    public void Normalize_Unsupported_ThrowsNamingTheRawValue(string raw)
    {
        var ex = Assert.Throws<NotSupportedException>(() => ArchNormalizer.Normalize(raw));
        Assert.Contains($"\"{raw}\"", ex.Message, StringComparison.Ordinal);
    }
}
