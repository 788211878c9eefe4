using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Fleet.Ctl.Client;
using Fleet.Ctl.Output;
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

    /// <summary>Ctrl-C (SIGINT) ended a command that runs until told to stop (`rollout logs -f`): 128 + 2, as a shell reports it.</summary>
    public const int ExitInterrupted = 130;

    public Option<string> Socket { get; } = new("--socket")
    {
        Description = $"The coordinator's control socket (default: FLEET_SOCKET, else {ControlConnection.DefaultSocket})",
        Recursive = true,
    };

    public Option<string> Server { get; } = new("--server")
    {
        Description = "Reach the coordinator over TCP with TLS instead: https://HOST:PORT of its --control-listen (or FLEET_SERVER, or `server:` in ~/.config/fleet/config)",
        Recursive = true,
    };

    public Option<string> Certificate { get; } = new("--cert") { Description = "Admin certificate for --server (fleetctl admin-cert create)", Recursive = true };

    public Option<string> Key { get; } = new("--key") { Description = "The admin certificate's key for --server", Recursive = true };

    public Option<string> Ca { get; } = new("--ca") { Description = "The Fleet CA certificate for --server (default: ca.crt beside --cert)", Recursive = true };

    public IEnumerable<Option> Options => [Socket, Server, Certificate, Key, Ca];

    public DateTimeOffset Now => time.GetUtcNow();

    public IReadOnlyDictionary<string, string?> Environment => environment;

    public TextWriter Stdout => stdout;

    /// <summary>Where a table goes: a terminal's width and colours, or none when piped.</summary>
    public TerminalInfo Terminal(TextWriter writer) => TerminalInfo.For(writer, environment);

    /// <summary>
    /// Every list command's one output shape (docs/output.md): with -o json an array, empty or not;
    /// otherwise <paramref name="none"/> for an empty list, else the table (-o wide: its wide form).
    /// </summary>
    public async Task WriteListAsync<T>(TextWriter stdout, List<T> views, OutputFormat format, JsonTypeInfo<List<T>> json, string none, Func<bool, TableWriter> table)
    {
        if (format == OutputFormat.Json)
        {
            await stdout.WriteLineAsync(JsonSerializer.Serialize(views, json));
        }
        else if (views.Count == 0)
        {
            await stdout.WriteLineAsync(none);
        }
        else
        {
            table(format == OutputFormat.Wide).Write(stdout, Terminal(stdout));
        }
    }

    /// <summary>A usage error found before anything is asked of the coordinator: one line on stderr, exit code 2.</summary>
    public async Task<int> UsageErrorAsync(string message)
    {
        await stderr.WriteLineAsync($"fleetctl: {message}");
        return ExitUsage;
    }

    /// <summary>
    /// Runs a call that lasts until <paramref name="interrupt"/> (Ctrl-C) or its natural end: an
    /// interrupt is no failure, it ends the command quietly with <see cref="ExitInterrupted"/>.
    /// </summary>
    public async Task<int> CallUntilInterruptedAsync(ParseResult parse, Func<ControlConnection, TextWriter, Task> call, CancellationToken interrupt)
    {
        try
        {
            return await CallAsync(parse, async (connection, stdout) =>
            {
                try
                {
                    await call(connection, stdout);
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && interrupt.IsCancellationRequested)
                {
                    throw new OperationCanceledException(interrupt);
                }
            });
        }
        catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
        {
            return ExitInterrupted;
        }
    }

    /// <summary>Runs a call against the coordinator; failures become one line on stderr and a non-zero exit code.</summary>
    public async Task<int> CallAsync(ParseResult parse, Func<ControlConnection, TextWriter, Task> call)
    {
        ControlConnection connection;
        try
        {
            connection = Connect(parse);
        }
        catch (UsageException ex)
        {
            await stderr.WriteLineAsync($"fleetctl: {ex.Message}");
            return ExitUsage;
        }

        using (connection)
        {
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

    /// <summary>The unix socket unless a server is given; each setting from its flag, else FLEET_*, else the config file.</summary>
    private ControlConnection Connect(ParseResult parse)
    {
        var file = CtlConfig.Load(CtlConfig.DefaultPath(environment));
        string? Setting(Option<string> flag, string env, string key) =>
            parse.GetValue(flag) ?? environment.GetValueOrDefault(env) ?? file.GetValueOrDefault(key);

        var socketGiven = parse.GetValue(Socket) ?? environment.GetValueOrDefault("FLEET_SOCKET");
        var server = parse.GetValue(Server) ?? environment.GetValueOrDefault("FLEET_SERVER") ?? (socketGiven is null ? file.GetValueOrDefault("server") : null);
        if (server is null)
        {
            return ControlConnection.OverSocket(socketGiven ?? file.GetValueOrDefault("socket") ?? ControlConnection.DefaultSocket);
        }

        if (!Uri.TryCreate(server, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
        {
            throw new UsageException($"--server: \"{server}\" is not an https:// URL");
        }

        var certificate = Setting(Certificate, "FLEET_CERT", "cert");
        var key = Setting(Key, "FLEET_KEY", "key");
        if (certificate is null || key is null)
        {
            throw new UsageException("--server needs --cert and --key: an admin certificate from `fleetctl admin-cert create`");
        }

        var ca = Setting(Ca, "FLEET_CA", "ca") ?? Path.Join(Path.GetDirectoryName(Path.GetFullPath(certificate)), "ca.crt");
        return ControlConnection.OverTls(uri, certificate, key, ca);
    }
}
