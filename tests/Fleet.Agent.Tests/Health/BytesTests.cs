using Fleet.Agent.Health;

namespace Fleet.Agent.Tests.Health;

public sealed class BytesTests
{
    [Theory]
    [InlineData(0, "0 B")]
    [InlineData(1023, "1023 B")]
    [InlineData(1024, "1 KiB")]
    [InlineData(1536, "1.5 KiB")]
    [InlineData(3L * 1024 * 1024 * 1024, "3 GiB")]
    [InlineData(5L * 1024 * 1024 * 1024 * 1024 * 1024, "5120 TiB")]
    public void Human_Bytes_UsesBinaryUnits(long bytes, string expected) => Assert.Equal(expected, Bytes.Human(bytes));
}
