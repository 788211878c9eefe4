namespace Fleet.Coordinator.Tests.Common;

/// <summary>The one duration syntax of flags, plan keys and configuration.</summary>
public sealed class DurationTextTests
{
    [Theory]
    [InlineData("90s", 90)]
    [InlineData("1m30s", 90)]
    [InlineData("1d", 86400)]
    [InlineData("1h30m", 5400)]
    [InlineData("1.5h", 5400)]
    [InlineData("500ms", 0.5)]
    [InlineData(" 10m ", 600)]
    [InlineData("30d", 2592000)]
    public void Parse_UnitsAndCompounds(string text, double seconds)
    {
        Assert.Null(DurationText.Problem(text, out var value));
        Assert.Equal(TimeSpan.FromSeconds(seconds), value);
    }

    [Theory]
    [InlineData("5", "\"5\" has no unit: write 5s, 5m, 5h or 5d")]
    [InlineData("1m30", "\"1m30\" has no unit: write 30s, 30m, 30h or 30d")]
    [InlineData("10x", "\"10x\": \"x\" is not a unit (ms, s, m, h, d)")]
    [InlineData("", "\"\" is empty: give a duration such as 90s, 10m, 1h30m or 1d")]
    [InlineData("-5s", "\"-5s\" is not a duration such as 90s, 10m, 1h30m or 1d")]
    [InlineData("0s", "\"0s\" must be at least 1ms")]
    [InlineData("400d", "\"400d\" is more than a year")]
    [InlineData("1e3s", "\"1e3s\": \"e\" is not a unit (ms, s, m, h, d)")]
    [InlineData("soon", "\"soon\" is not a duration such as 90s, 10m, 1h30m or 1d")]
    [InlineData("1..5s", "\"1..5s\" is not a duration such as 90s, 10m, 1h30m or 1d")]
    public void Parse_Refuses_WithTheReason(string text, string problem) =>
        Assert.Equal(problem, DurationText.Problem(text, out _));

    [Theory]
    [InlineData(90, "1m30s")]
    [InlineData(86400, "1d")]
    [InlineData(0.5, "500ms")]
    [InlineData(5400, "1h30m")]
    public void Format_ParsesBackToTheSameValue(double seconds, string text)
    {
        Assert.Equal(text, DurationText.Format(TimeSpan.FromSeconds(seconds)));
        Assert.True(DurationText.TryParse(text, out var back));
        Assert.Equal(TimeSpan.FromSeconds(seconds), back);
    }
}
