using Serilog;
using Serilog.Core;
using Serilog.Events;

namespace Fleet;

/// <summary>
/// Console logging that keeps its levels in the journal: when systemd connects stdout to the journal
/// (JOURNAL_STREAM is set), each line starts with its syslog priority, &lt;3&gt; for an error, &lt;6&gt;
/// for information (sd-daemon(3)), and no timestamp, as the journal adds its own.
/// </summary>
public sealed class JournalLevels : ILogEventEnricher
{
    public const string Variable = "JOURNAL_STREAM";
    public const string Property = "SyslogPriority";

    public static void WriteToConsole(LoggerConfiguration logging, string? journalStream)
    {
        if (string.IsNullOrEmpty(journalStream))
        {
            logging.WriteTo.Console(outputTemplate: "{Timestamp:HH:mm:ss.fff} {Level:u3} {Message:lj}{NewLine}{Exception}");
            return;
        }

        logging.Enrich.With(new JournalLevels())
            .WriteTo.Console(outputTemplate: "<{" + Property + "}>{Message:lj}{NewLine}{Exception}");
    }

    /// <summary>The syslog priority of a Serilog level.</summary>
    public static int Priority(LogEventLevel level) => level switch
    {
        LogEventLevel.Fatal => 2,       // crit
        LogEventLevel.Error => 3,       // err
        LogEventLevel.Warning => 4,     // warning
        LogEventLevel.Information => 6, // info
        _ => 7,                         // debug
    };

    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory) =>
        logEvent.AddPropertyIfAbsent(propertyFactory.CreateProperty(Property, Priority(logEvent.Level)));
}
