using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace Fleet.Agent.Steps.Previous;

/// <summary>
/// A TEST FAILPOINT, like etcd's gofail: <c>FLEET_AGENT_FAILPOINT=restore-after-file:N</c>, read once
/// when the agent starts, makes a restore-previous step stop after it has put back its Nth file (and
/// journaled it): the agent writes STATE/<see cref="MarkerFile"/> and waits there until cancelled. It
/// exists so a test can kill -9 the agent at exactly that instant (Fleet.IntegrationTests:
/// RestoreKillTests) and prove the node ends consistent after a restart; nothing else reads it. Unset,
/// it costs one comparison per restored file. An agent started with it says so in its log (a warning),
/// and a value of any other shape is ignored with a warning naming it. docs/security/kept-files.md.
/// </summary>
public sealed partial class RestoreFailpoint
{
    public const string Variable = "FLEET_AGENT_FAILPOINT";
    public const string MarkerFile = "failpoint-reached";

    private RestoreFailpoint(int? afterFile) => AfterFile = afterFile;

    /// <summary>The count of restored files after which a restore stops; null: never.</summary>
    public int? AfterFile { get; }

    public static RestoreFailpoint None { get; } = new(null);

    public static RestoreFailpoint FromEnvironment(Func<string, string?> environment, ILogger logger)
    {
        var value = environment(Variable);
        if (string.IsNullOrEmpty(value))
        {
            return None;
        }

        var match = Shape().Match(value);
        if (!match.Success)
        {
            FailpointLog.Ignored(logger, Variable, value);
            return None;
        }

        var n = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        FailpointLog.Armed(logger, Variable, value);
        return new RestoreFailpoint(n);
    }

    public static RestoreFailpoint AfterFiles(int n) => new(n);

    /// <summary>Called after each restored file: at the failpoint, writes the marker and waits until cancelled.</summary>
    public async Task ReachedAsync(int restored, string stateDir, CancellationToken ct)
    {
        if (AfterFile != restored)
        {
            return;
        }

        Directory.CreateDirectory(stateDir);
        var marker = Path.Join(stateDir, MarkerFile);
        await File.WriteAllTextAsync(marker + ".tmp", $"restore-after-file:{restored}\n", ct);
        File.Move(marker + ".tmp", marker, overwrite: true); // whole when it appears: the test reads it as it does
        await Task.Delay(Timeout.Infinite, ct);
    }

    [GeneratedRegex(@"^restore-after-file:([1-9][0-9]{0,3})\z")]
    private static partial Regex Shape();
}

internal static partial class FailpointLog
{
    [LoggerMessage(EventId = 150, Level = LogLevel.Warning, Message = "Test failpoint {Variable}={Value} is armed: a restore-previous step will stop and wait after that many files (for tests only)")]
    public static partial void Armed(ILogger logger, string variable, string value);

    [LoggerMessage(EventId = 151, Level = LogLevel.Warning, Message = "Ignoring {Variable}={Value}: the only test failpoint is restore-after-file:N")]
    public static partial void Ignored(ILogger logger, string variable, string value);
}
