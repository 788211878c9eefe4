using System.Collections.Concurrent;
using Serilog;
using Serilog.Core;
using Serilog.Events;

namespace Fleet.Testing;

/// <summary>Captures a component's log events, so tests can read them and fail on unexpected errors.</summary>
public sealed class LogCollector : ILogEventSink
{
    private readonly ConcurrentQueue<LogEvent> _events = new();

    public IReadOnlyList<LogEvent> Events => _events.ToArray();

    public IEnumerable<string> Messages => Events.Select(e => e.RenderMessage());

    public void Emit(LogEvent logEvent) => _events.Enqueue(logEvent);

    public void Configure(LoggerConfiguration logging) => logging.MinimumLevel.Debug().WriteTo.Sink(this);

    public IEnumerable<LogEvent> AtLeast(LogEventLevel level) => Events.Where(e => e.Level >= level);
}
