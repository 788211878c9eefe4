using System.Collections;
using System.CommandLine;
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
    public static async Task<int> Main(string[] args)
    {
        var config = new Option<string>("--config") { Description = $"Settings file (JSON). Default {AgentOptions.DefaultConfigPath}; a missing default file is fine.", Recursive = true };
        var root = new RootCommand(
            "fleet-agent: runs on every node, reports what the node is and how healthy it is, and executes the steps the Fleet coordinator sends.\n" +
            "Settings come from the JSON file, then FLEET_* environment variables (FLEET_COORDINATOR, FLEET_NAME, FLEET_ROOT, FLEET_STATE_DIR, ...), then flags; later wins.")
        {
            config,
        };
        var flags = new Dictionary<string, Option<string>>
        {
            ["--coordinator"] = new("--coordinator") { Description = "Coordinator agent endpoint, e.g. https://10.0.0.1:7443" },
            ["--name"] = new("--name") { Description = "Node name (default: the host name)" },
            ["--root"] = new("--root") { Description = "Prefix for every path the agent reads or writes" },
            ["--state-dir"] = new("--state-dir") { Description = "State folder inside --root" },
            ["--heartbeat-interval"] = new("--heartbeat-interval") { Description = "Heartbeat interval until the coordinator sets one" },
            ["--reconnect-cap"] = new("--reconnect-cap") { Description = "Longest wait between reconnect attempts" },
            ["--required-cni-plugins"] = new("--required-cni-plugins") { Description = "Comma-separated CNI plugins a healthy node has" },
            ["--systemctl-path"] = new("--systemctl-path") { Description = "systemctl inside --root" },
            ["--binary-dirs"] = new("--binary-dirs") { Description = "Comma-separated folders inside --root searched for kubelet and kubeadm" },
        };
        foreach (var option in flags.Values)
        {
            root.Options.Add(option);
        }

        root.SetAction(async (parse, ct) => Load(parse, config, flags) is { } options ? await RunAsync(options, ct) : 2);
        root.Subcommands.Add(EnrollCommand(config));
        return await root.Parse(args).InvokeAsync();
    }

    /// <summary>`fleet-agent enroll`: join the coordinator with a token, once, before the agent runs.</summary>
    private static Command EnrollCommand(Option<string> config)
    {
        var flags = new Dictionary<string, Option<string>>
        {
            ["--coordinator"] = new("--coordinator") { Description = "Coordinator agent endpoint, https://HOST:7443" },
            ["--token"] = new("--token") { Description = "Join token ID.SECRET from `fleetctl token create` (or FLEET_TOKEN)" },
            ["--ca-pin"] = new("--ca-pin") { Description = "The coordinator CA's pin sha256:HEX from `fleetctl token create` (or FLEET_CA_PIN)" },
            ["--name"] = new("--name") { Description = "Node name (default: the host name)" },
            ["--root"] = new("--root") { Description = "Prefix for every path the agent reads or writes" },
            ["--state-dir"] = new("--state-dir") { Description = "State folder inside --root, where the key and certificates go" },
        };
        var enroll = new Command("enroll", "Join the coordinator: verify its CA against the pin, then send the token and a CSR for a key made here; store key (0600), certificate and CA in the state folder.");
        foreach (var option in flags.Values)
        {
            enroll.Options.Add(option);
        }

        enroll.SetAction(async (parse, ct) =>
        {
            if (Load(parse, config, flags) is not { } options)
            {
                return 2;
            }

            if (options.Token is null || options.CaPin is null)
            {
                await Console.Error.WriteLineAsync("fleet-agent: enroll needs --token and --ca-pin (or FLEET_TOKEN and FLEET_CA_PIN), as printed by `fleetctl token create`");
                return 2;
            }

            var services = new ServiceCollection().AddLogging(l => l.AddSimpleConsole(o => o.SingleLine = true)).AddFleetEnrollment(options);
            await using var provider = services.BuildServiceProvider();
            var name = options.Name ?? new LibcUname().Read().NodeName.ToLowerInvariant();
            try
            {
                await provider.GetRequiredService<EnrollmentClient>().EnrollAsync(options.Coordinator!, options.Token, options.CaPin, name, ct);
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
        await host.RunAsync(ct);
        return 0;
    }

    private static Dictionary<string, string?> ReadEnvironment() =>
        Environment.GetEnvironmentVariables().Cast<DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => e.Value as string, StringComparer.Ordinal);
}
