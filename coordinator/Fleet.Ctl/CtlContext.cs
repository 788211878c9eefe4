using System.CommandLine;
using Fleet.Ctl.Client;
using Grpc.Core;

namespace Fleet.Ctl;

/// <summary>A wrong argument found after parsing; exit code 2 like a parse error.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>The command ran but did not succeed (a node failed); exit code 1.</summary>
public sealed class CommandFailedException(string message) : Exception(message);

/// <summary>What every fleetctl command shares: where the coordinator is, where output goes, and the error policy.</summary>
internal sealed class CtlContext(TextWriter stdout, TextWriter stderr, IReadOnlyDictionary<string, string?> environment, TimeProvider time)
{
    public const int ExitFailure = 1;
    public const int ExitUsage = 2;

    public Option<string> Socket { get; } = new("--socket")
    {
        Description = $"The coordinator's control socket (default: FLEET_SOCKET, else {ControlConnection.DefaultSocket})",
        Recursive = true,
    };

    public DateTimeOffset Now => time.GetUtcNow();

    /// <summary>Runs a call against the coordinator; failures become one line on stderr and a non-zero exit code.</summary>
    public async Task<int> CallAsync(ParseResult parse, Func<ControlConnection, TextWriter, Task> call)
    {
        var socket = parse.GetValue(Socket) ?? environment.GetValueOrDefault("FLEET_SOCKET") ?? ControlConnection.DefaultSocket;
        using var connection = new ControlConnection(socket);
        try
        {
            await call(connection, stdout);
            return 0;
        }
        catch (UsageException ex)
        {
            await stderr.WriteLineAsync($"fleetctl: {ex.Message}");
            return ExitUsage;
        }
        catch (CommandFailedException ex)
        {
            await stderr.WriteLineAsync($"fleetctl: {ex.Message}");
            return ExitFailure;
        }
        catch (RpcException ex)
        {
            await stderr.WriteLineAsync($"fleetctl: {connection.Explain(ex)}");
            return ExitFailure;
        }
    }
}
