using Fleet.Agent.Hosting;
using Serilog.Events;

namespace Fleet.Agent.Tests.Hosting;

public sealed class JournalLevelsTests
{
    [Theory]
    [InlineData(LogEventLevel.Fatal, 2)]
    [InlineData(LogEventLevel.Error, 3)]
    [InlineData(LogEventLevel.Warning, 4)]
    [InlineData(LogEventLevel.Information, 6)]
    [InlineData(LogEventLevel.Debug, 7)]
    [InlineData(LogEventLevel.Verbose, 7)]
    public void Priority_IsTheSyslogPriority(LogEventLevel level, int priority) =>
        Assert.Equal(priority, JournalLevels.Priority(level));
}
