using System.CommandLine;
using Fleet.CommandDocs;
using System.Net;
using System.Reflection;
using Fleet.Coordinator.Hosting;

namespace Fleet.Coordinator;

public static class Program
{
    public static Task<int> Main(string[] args) => UsageErrors.InvokeAsync(Root(), args, Console.Error);

    /// <summary>The whole command tree; `fleet-coordinator man` generates fleet-coordinator(1) from it, `fleet-coordinator completion SHELL` the completion scripts.</summary>
    internal static RootCommand Root()
    {
        var defaults = new CoordinatorOptions();
        var listen = new Option<IPEndPoint>("--listen")
        {
            Description = "Address and port agents connect to",
            CustomParser = r => ParseEndPoint(r.Tokens[0].Value, r.AddError),
            DefaultValueFactory = _ => defaults.Listen,
        };
        var dataDir = new Option<string>("--data-dir") { Description = "State folder: the SQLite database", DefaultValueFactory = _ => defaults.DataDir };
        var socket = new Option<string>("--socket") { Description = "Control API unix socket for fleetctl", DefaultValueFactory = _ => defaults.Socket };
        var metrics = new Option<string>("--metrics-listen") { Description = "Address and port of the Prometheus /metrics endpoint, or 'off'", DefaultValueFactory = _ => defaults.MetricsListen!.ToString() };
        var heartbeat = new Option<string>("--heartbeat-interval") { Description = "Heartbeat interval asked of every agent", DefaultValueFactory = _ => "5s" };
        var staleAfter = new Option<int>("--stale-after") { Description = "Missed heartbeats before a node is stale", DefaultValueFactory = _ => defaults.StaleAfterMissed };
        var offlineAfter = new Option<int>("--offline-after") { Description = "Missed heartbeats before a node is offline", DefaultValueFactory = _ => defaults.OfflineAfterMissed };

        var tlsSan = new Option<string[]>("--tls-san") { Description = "Extra DNS name or IP address in the coordinator's TLS certificate (repeatable); localhost, loopback, the host name and --listen's address are always in it" };
        var requireApproval = new Option<bool>("--require-approval") { Description = "Newly enrolled nodes receive no step until `fleetctl nodes approve NAME`" };
        var controlListen = new Option<string>("--control-listen") { Description = "Also serve the control API on ADDRESS:PORT over TLS, to admin client certificates only (`fleetctl admin-cert create`)" };
        var kubeconfig = new Option<string>("--kubeconfig") { Description = "The Kubernetes cluster's kubeconfig (a copy stored by `fleetctl cluster set` takes precedence)" };
        var root = new RootCommand("fleet-coordinator: the Fleet coordinator. Agents enroll and connect over gRPC with mTLS; operators use fleetctl over the control socket.")
        {
            listen, dataDir, socket, metrics, heartbeat, staleAfter, offlineAfter, tlsSan, requireApproval, controlListen, kubeconfig,
        };
        root.SetAction(async (parse, ct) =>
        {
            var errors = new List<string>();
            if (DurationText.Problem(parse.GetValue(heartbeat), out var interval) is { } problem)
            {
                errors.Add($"--heartbeat-interval: {problem}");
            }

            if (parse.GetValue(staleAfter) < 1 || parse.GetValue(offlineAfter) <= parse.GetValue(staleAfter))
            {
                errors.Add("--stale-after must be at least 1 and --offline-after larger than it");
            }

            var metricsValue = parse.GetValue(metrics)!;
            var metricsEndPoint = metricsValue == "off" ? null : ParseEndPoint(metricsValue, e => errors.Add($"--metrics-listen: {e}"));
            var controlEndPoint = parse.GetValue(controlListen) is { } c ? ParseEndPoint(c, e => errors.Add($"--control-listen: {e}")) : null;
            var kubeconfigPath = parse.GetValue(kubeconfig) is { } k ? Path.GetFullPath(k) : null;
            if (kubeconfigPath is not null)
            {
                try
                {
                    Kubernetes.KubeconfigProvider.Load(kubeconfigPath);
                }
                catch (Kubernetes.KubernetesActionException ex)
                {
                    errors.Add($"--kubeconfig: {ex.Message}");
                }
            }

            if (errors.Count > 0)
            {
                await Console.Error.WriteLineAsync(string.Join('\n', errors.Select(e => $"fleet-coordinator: {e}")));
                return 2;
            }

            var options = new CoordinatorOptions
            {
                Listen = parse.GetValue(listen)!,
                DataDir = Path.GetFullPath(parse.GetValue(dataDir)!),
                Socket = Path.GetFullPath(parse.GetValue(socket)!),
                MetricsListen = metricsEndPoint,
                HeartbeatInterval = interval,
                StaleAfterMissed = parse.GetValue(staleAfter),
                OfflineAfterMissed = parse.GetValue(offlineAfter),
                TlsNames = parse.GetValue(tlsSan) ?? [],
                RequireApproval = parse.GetValue(requireApproval),
                ControlListen = controlEndPoint,
                Kubeconfig = kubeconfigPath,
            };
            return await RunAsync(options, ct);
        });
        root.Subcommands.Add(CompletionCommand.Create(() => root, CoordinatorManPage.Info));
        root.Subcommands.Add(ManCommand.Create(() => root, CoordinatorManPage.Info));
        return root;
    }

    private static async Task<int> RunAsync(CoordinatorOptions options, CancellationToken ct)
    {
        WebApplication app;
        try
        {
            app = await CoordinatorApp.CreateAsync(options, ct: ct);
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException
            or System.Security.Cryptography.CryptographicException)
        {
            await Console.Error.WriteLineAsync($"fleet-coordinator: {ex.Message}");
            return 1;
        }

        await using (app)
        {
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Fleet.Coordinator");
            app.Lifetime.ApplicationStarted.Register(() =>
            {
                CoordinatorLog.Started(logger, Version, options.Listen.ToString(), options.Socket, options.MetricsListen?.ToString() ?? "off", options.DataDir);
                CoordinatorLog.Security(logger, app.Services.GetRequiredService<Security.CertificateAuthority>().Pin, string.Join(", ", CoordinatorApp.ServerNames(options).Distinct()),
                    options.ControlListen?.ToString() ?? "off", options.RequireApproval);
            });
            try
            {
                await app.RunAsync(ct);
            }
            catch (IOException ex)
            {
                await Console.Error.WriteLineAsync($"fleet-coordinator: cannot listen: {ex.Message}");
                return 1;
            }
        }

        return 0;
    }

    private static string Version =>
        typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    private static IPEndPoint ParseEndPoint(string text, Action<string> error)
    {
        if (IPEndPoint.TryParse(text, out var endPoint) && endPoint.Port != 0 || text.EndsWith(":0", StringComparison.Ordinal) && IPEndPoint.TryParse(text, out endPoint))
        {
            return endPoint;
        }

        error($"\"{text}\" is not ADDRESS:PORT, e.g. 0.0.0.0:7443 or 127.0.0.1:9464");
        return new IPEndPoint(IPAddress.None, 0);
    }
}
