using System.Collections;
using System.CommandLine;
using Fleet.CommandDocs;
using Fleet.Agent.Configuration;
using Fleet.Agent.Enrollment;
using Fleet.Agent.Facts;
using Fleet.Agent.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fleet.Agent;

public static class Program
{
    public static Task<int> Main(string[] args) => UsageErrors.InvokeAsync(Root(), args, Console.Error);

    /// <summary>The whole command tree; `fleet-agent man` generates fleet-agent(1) from it, `fleet-agent completion SHELL` the completion scripts.</summary>
    internal static RootCommand Root()
    {
        var config = new Option<string>("--config") { Description = $"Settings file (JSON). Default {AgentOptions.DefaultConfigPath}; a missing default file is fine.", Recursive = true };
        var root = new RootCommand(
            "fleet-agent: runs on every node, reports what the node is and how healthy it is, and executes the steps the Fleet coordinator sends.\n" +
            "Settings come from the JSON file, then FLEET_* environment variables (FLEET_COORDINATOR, FLEET_NAME, FLEET_ROOT, FLEET_STATE_DIR, ...), then flags; later wins.\n" +
            $"Exit codes: 0 stopped; 1 failed; 2 bad settings or not enrolled; {AgentExit.IdentityRefusedCode} the coordinator refuses this node's certificate for good (node removed, certificate revoked, or not issued by it): enroll again with a new token. The systemd unit restarts on neither 2 nor {AgentExit.IdentityRefusedCode}; every other failure (coordinator down, network) is retried forever.")
        {
            config,
        };
        var flags = Options(f => f is not ("--token" or "--token-file" or "--ca-pin"));
        foreach (var option in flags.Values)
        {
            root.Options.Add(option);
        }

        root.SetAction(async (parse, ct) => Load(parse, config, flags) is { } options ? await RunAsync(options, ct) : 2);
        root.Subcommands.Add(EnrollCommand(config));
        root.Subcommands.Add(CompletionCommand.Create(() => root, AgentManPage.Info));
        root.Subcommands.Add(ManCommand.Create(() => root, AgentManPage.Info));
        return root;
    }

    /// <summary>`fleet-agent enroll`: join the coordinator with a token, once, before the agent runs.</summary>
    private static Command EnrollCommand(Option<string> config)
    {
        var flags = Options(f => f is "--coordinator" or "--token" or "--token-file" or "--ca-pin" or "--name" or "--root" or "--state-dir");
        var enroll = new Command("enroll", "Join the coordinator: verify its CA against the pin, then send the token and a CSR for a key made here; store key (0600), certificate and CA in the state folder. A coordinator that cannot be connected to is tried again with backoff for up to 5 minutes.");
        foreach (var option in flags.Values)
        {
            enroll.Options.Add(option);
        }

        enroll.SetAction(async (parse, ct) =>
        {
            if (parse.GetResult(flags["--token"]) is not null && parse.GetValue(flags["--token"]) != "-")
            {
                // Said before anything else: by now it has been readable in /proc/PID/cmdline.
                await Console.Error.WriteLineAsync("fleet-agent: warning: a token given with --token on the command line can be read by every local user (ps, /proc/PID/cmdline) while enroll runs; use --token-file FILE (mode 0600) or --token - (standard input)");
            }

            if (Load(parse, config, flags) is not { } options)
            {
                return 2;
            }

            if (options.Token is null || options.CaPin is null)
            {
                await Console.Error.WriteLineAsync("fleet-agent: enroll needs a token (--token-file FILE, --token - for standard input, or FLEET_TOKEN) and --ca-pin (or FLEET_CA_PIN), as printed by `fleetctl token create`");
                return 2;
            }

            var services = new ServiceCollection().AddLogging(l => l.AddSimpleConsole(o => o.SingleLine = true)).AddFleetEnrollment(options);
            await using var provider = services.BuildServiceProvider();
            var name = options.Name ?? new LibcUname().Read().NodeName.ToLowerInvariant();
            try
            {
                await provider.GetRequiredService<EnrollmentClient>().EnrollAsync(options.Coordinator!, options.Token, options.CaPin, name, ct);
                if (options.TokenInConfigFile is { } file && ConfigFileToken.Remove(file))
                {
                    await Console.Error.WriteLineAsync($"fleet-agent: enrolled; removed the join token from {file} (the node no longer needs it)");
                }

                return 0;
            }
            catch (EnrollmentException ex)
            {
                await Console.Error.WriteLineAsync($"fleet-agent: {ex.Message}");
                return 1;
            }
        });
        return enroll;
    }

    /// <summary>Options for the settings flags <paramref name="which"/> picks, with the loader's help texts.</summary>
    private static Dictionary<string, Option<string>> Options(Func<string, bool> which) =>
        AgentConfigLoader.FlagHelp.Where(f => which(f.Flag)).ToDictionary(f => f.Flag, f => new Option<string>(f.Flag) { Description = f.Description });

    private static AgentOptions? Load(ParseResult parse, Option<string> config, Dictionary<string, Option<string>> flags)
    {
        try
        {
            var given = flags.Where(f => parse.GetResult(f.Value) is not null)
                .ToDictionary(f => f.Key, f => parse.GetValue(f.Value) ?? "");
            var configPath = parse.GetValue(config);
            return AgentConfigLoader.Load(configPath ?? AgentOptions.DefaultConfigPath, configPath is not null, ReadEnvironment(), given);
        }
        catch (ConfigException ex)
        {
            Console.Error.WriteLine($"fleet-agent: {ex.Message}");
            return null;
        }
    }

    private static async Task<int> RunAsync(AgentOptions options, CancellationToken ct)
    {
        IHost built;
        try
        {
            built = AgentHost.Build(options);
        }
        catch (NotEnrolledException ex)
        {
            await Console.Error.WriteLineAsync($"fleet-agent: {ex.Message}");
            return 2;
        }

        using var host = built;
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Fleet.Agent");
        AgentLog.Starting(logger, FactsCollector.AgentVersion, options.Coordinator!.ToString(), options.Root, host.Services.GetRequiredService<HostPaths>().StateDir);
        if (options.TokenInConfigFile is { } file)
        {
            AgentLog.TokenLeftInConfig(logger, file);
        }

        var exit = host.Services.GetRequiredService<AgentExit>(); // RunAsync disposes the host
        await host.RunAsync(ct);
        return exit.Code;
    }

    private static Dictionary<string, string?> ReadEnvironment() =>
        Environment.GetEnvironmentVariables().Cast<DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => e.Value as string, StringComparer.Ordinal);
}
