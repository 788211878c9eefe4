using Fleet.Agent.Facts;

namespace Fleet.Agent.Tests.Facts;

public sealed class ProcParsersTests
{
    private const string MemInfoText =
        "MemTotal:        3884376 kB\n" +
        "MemFree:          512340 kB\n" +
        "MemAvailable:    2911876 kB\n" +
        "HugePages_Total:       0\n" +
        "SwapTotal:        102396 kB\n" +
        "SwapFree:         102396 kB\n";

    [Fact]
    public void MemInfo_KilobyteFields_AreBytes()
    {
        var info = ProcParsers.MemInfo(MemInfoText);

        Assert.Equal(3884376L * 1024, info["MemTotal"]);
        Assert.Equal(512340L * 1024, info["MemFree"]);
        Assert.Equal(2911876L * 1024, info["MemAvailable"]);
        Assert.Equal(102396L * 1024, info["SwapTotal"]);
    }

    [Fact]
    public void MemInfo_FieldWithoutUnit_IsTakenAsIs()
    {
        var info = ProcParsers.MemInfo(MemInfoText);

        Assert.Equal(0, info["HugePages_Total"]);
    }

    [Fact]
    public void MemInfo_MalformedLines_AreSkipped()
    {
        var info = ProcParsers.MemInfo("garbage\nMemTotal: lots kB\n: 5 kB\nMemFree: 10 kB\n");

        Assert.Equal(["MemFree"], info.Keys);
        Assert.Equal(10 * 1024, info["MemFree"]);
    }

    [Fact]
    public void MemInfo_Empty_IsEmpty() => Assert.Empty(ProcParsers.MemInfo(""));

    [Fact]
    public void LoadAvg_RealLine_GivesThreeAverages()
    {
        var load = ProcParsers.LoadAvg("0.52 1.58 2.59 1/467 12345\n");

        Assert.Equal((0.52, 1.58, 2.59), load);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0.52 1.58")]
    [InlineData("high 1.58 2.59 1/467 12345")]
    public void LoadAvg_Garbage_IsNull(string text) => Assert.Null(ProcParsers.LoadAvg(text));

    [Theory]
    [InlineData("0-3", 4)]
    [InlineData("0-3,6", 5)]
    [InlineData("0", 1)]
    [InlineData("0-3\n", 4)]
    [InlineData("0,2,4-7", 6)]
    public void CpuListCount_List_CountsCpus(string text, int expected) => Assert.Equal(expected, ProcParsers.CpuListCount(text));

    [Theory]
    [InlineData("garbage")]
    [InlineData("")]
    [InlineData("3-1")]
    [InlineData("0-1-2")]
    [InlineData("0-x")]
    public void CpuListCount_Garbage_IsNull(string text) => Assert.Null(ProcParsers.CpuListCount(text));

    [Fact]
    public void OsPrettyName_PrettyName_IsUnquoted()
    {
        var text = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION=\"12 (bookworm)\"\nID=debian\n";

        Assert.Equal("Debian GNU/Linux 12 (bookworm)", ProcParsers.OsPrettyName(text));
    }

    [Fact]
    public void OsPrettyName_NoPrettyName_IsNameAndVersion()
    {
        var text = "# comment=ignored\nNAME='Alpine Linux'\nVERSION=3.20\n";

        Assert.Equal("Alpine Linux 3.20", ProcParsers.OsPrettyName(text));
    }

    [Fact]
    public void OsPrettyName_OnlyName_IsName() => Assert.Equal("Arch Linux", ProcParsers.OsPrettyName("NAME=\"Arch Linux\"\n"));

    [Fact]
    public void OsPrettyName_NoNames_IsNull() => Assert.Null(ProcParsers.OsPrettyName("ID=debian\n"));
}
