using System.Collections;
using System.CommandLine;
using Fleet.Agent.Configuration;
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
        var config = new Option<string>("--config") { Description = $"Settings file (JSON). Default {AgentOptions.DefaultConfigPath}; a missing default file is fine." };
        var root = new RootCommand(
            "fleet-agent: runs on every node, reports what the node is and how healthy it is, and executes the steps the Fleet coordinator sends.\n" +
            "Settings come from the JSON file, then FLEET_* environment variables (FLEET_COORDINATOR, FLEET_NAME, FLEET_ROOT, FLEET_STATE_DIR, ...), then flags; later wins.")
        {
            config,
        };
        var flags = AgentConfigLoader.FlagHelp.ToDictionary(f => f.Flag, f => new Option<string>(f.Flag) { Description = f.Description });
        foreach (var option in flags.Values)
        {
            root.Options.Add(option);
        }

        root.SetAction(async (parse, ct) =>
        {
            AgentOptions options;
            try
            {
                var given = flags.Where(f => parse.GetResult(f.Value) is not null)
                    .ToDictionary(f => f.Key, f => parse.GetValue(f.Value) ?? "");
                var configPath = parse.GetValue(config);
                options = AgentConfigLoader.Load(configPath ?? AgentOptions.DefaultConfigPath, configPath is not null, ReadEnvironment(), given);
            }
            catch (ConfigException ex)
            {
                await Console.Error.WriteLineAsync($"fleet-agent: {ex.Message}");
                return 2;
            }

            return await RunAsync(options, ct);
        });

        return await root.Parse(args).InvokeAsync();
    }

    private static async Task<int> RunAsync(AgentOptions options, CancellationToken ct)
    {
        using var host = AgentHost.Build(options);
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Fleet.Agent");
        AgentLog.Starting(logger, FactsCollector.AgentVersion, options.Coordinator!.ToString(), options.Root, host.Services.GetRequiredService<HostPaths>().StateDir);
        await host.RunAsync(ct);
        return 0;
    }

    private static Dictionary<string, string?> ReadEnvironment() =>
        Environment.GetEnvironmentVariables().Cast<DictionaryEntry>()
            .ToDictionary(e => (string)e.Key, e => e.Value as string, StringComparer.Ordinal);
}
