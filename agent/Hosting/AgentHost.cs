using Fleet.Agent.Configuration;
using Fleet.Agent.Enrollment;
using Fleet.Agent.Facts;
using Fleet.Agent.Health;
using Fleet.Agent.Session;
using Fleet.Agent.Steps;
using Fleet.Agent.Steps.AgentUpgrade;
using Fleet.Agent.Steps.Previous;
using Fleet.V1;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Events;

namespace Fleet.Agent.Hosting;

/// <summary>Composes the agent: one DI entry point, used by Program and by the tests.</summary>
public static class AgentHost
{
    public static IHost Build(AgentOptions options, Action<LoggerConfiguration>? configureLogging = null, Action<IServiceCollection>? configureServices = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        // Not AddSystemd(): its lifetime says READY=1 as soon as the host has started; the agent says
        // it once connected or retrying (SystemdStatus). SIGTERM is handled by the console lifetime.
        var logging = new LoggerConfiguration()
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("Grpc", LogEventLevel.Warning)
            .Enrich.FromLogContext();
        if (configureLogging is null)
        {
            JournalLevels.WriteToConsole(logging, Environment.GetEnvironmentVariable(JournalLevels.Variable));
        }
        else
        {
            configureLogging(logging);
        }

        builder.Services.AddSerilog(logging.CreateLogger(), dispose: true);
        builder.Services.AddFleetAgent(options);
        configureServices?.Invoke(builder.Services);
        var host = builder.Build();
        try
        {
            // mTLS or nothing: the credentials are loaded now, so a node that is not enrolled stops here.
            host.Services.GetRequiredService<GrpcChannel>();
        }
        catch
        {
            host.Dispose();
            throw;
        }

        return host;
    }

    public static IServiceCollection AddFleetAgent(this IServiceCollection services, AgentOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<HostPaths>();
        services.AddSingleton<AgentExit>();
        services.AddSingleton<IProcessRunner, ProcessRunner>();
        services.AddSingleton<IUname, LibcUname>();
        services.AddSingleton(sp => SystemdStatus.FromEnvironment(Environment.GetEnvironmentVariable, Environment.ProcessId, sp.GetRequiredService<ILogger<SystemdStatus>>()));

        services.AddSingleton<CniPlugins>();
        services.AddSingleton<KubernetesVersionProbe>();
        services.AddSingleton<FactsCollector>();

        services.AddSingleton<ClockOffset>();
        services.AddSingleton<INodeHealthCheck, MemoryCheck>();
        services.AddSingleton<INodeHealthCheck, LoadCheck>();
        services.AddSingleton<INodeHealthCheck>(sp => new DiskCheck("disk-root", "/", sp.GetRequiredService<HostPaths>()));
        services.AddSingleton<INodeHealthCheck>(sp => new DiskCheck("disk-state", options.StateDir, sp.GetRequiredService<HostPaths>()));
        services.AddSingleton<INodeHealthCheck, KubeletCheck>();
        services.AddSingleton<INodeHealthCheck, CniPluginsCheck>();
        services.AddSingleton<INodeHealthCheck, ClockCheck>();
        services.AddSingleton<INodeHealthCheck, CertificateCheck>();
        services.AddSingleton<HealthSampler>();

        services.AddSingleton<NodeArch>();
        services.AddSingleton(_ => Downloader.CreateHttpClient());
        services.AddSingleton<LeftoverFiles>();
        services.AddSingleton<Downloader>();
        services.AddSingleton<IStepHandler, DownloadStepHandler>();
        services.AddSingleton<IStepHandler, InstallCniPluginsStepHandler>();
        services.AddSingleton<StepProcess>();
        services.AddSingleton<IStepHandler, KubeadmJoinStepHandler>();
        services.AddSingleton<IStepHandler, KubeadmUpgradeStepHandler>();
        services.AddSingleton<IStepHandler, SystemdStepHandler>();
        services.AddSingleton<IStepHandler, WaitKubeletHealthyStepHandler>();
        services.AddSingleton<PreviousFiles>();
        services.AddSingleton(sp => RestoreFailpoint.FromEnvironment(Environment.GetEnvironmentVariable, sp.GetRequiredService<ILogger<RestoreFailpoint>>()));
        services.AddSingleton<IStepHandler, RestorePreviousStepHandler>();
        services.AddSingleton<IStepHandler, EtcdSnapshotStepHandler>();
        services.AddPrefetch();
        services.AddAgentUpgrade();
        services.AddSingleton<StepJournal>();
        services.AddSingleton<StepSink>();
        services.AddSingleton<StepRunner>();

        services.AddSingleton<NodeCredentials>();
        services.AddSingleton(new HeartbeatInterval(options.HeartbeatInterval));
        services.AddSingleton(new Backoff(TimeSpan.FromSeconds(1), options.ReconnectCap, Random.Shared));
        services.AddSingleton(sp => CreateChannel(options.Coordinator!, sp.GetRequiredService<NodeCredentials>(), sp.GetRequiredService<ILogger<CredentialsHandler>>()));
        services.AddSingleton(sp => new AgentService.AgentServiceClient(sp.GetRequiredService<GrpcChannel>()));
        services.AddSingleton<AgentSession>();
        services.AddHostedService<LeftoverCleanup>(); // first: before the session can start a step
        services.AddHostedService<CoordinatorConnection>();
        services.AddHostedService<CertificateRenewer>();
        return services;
    }

    /// <summary>The services `fleet-agent enroll` needs: paths and the credentials it writes.</summary>
    public static IServiceCollection AddFleetEnrollment(this IServiceCollection services, AgentOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<HostPaths>();
        services.AddSingleton<NodeCredentials>();
        services.AddSingleton<EnrollmentClient>();
        return services;
    }

    /// <summary>
    /// One channel for the agent's lifetime: its HTTP/2 connection is re-established underneath (with a
    /// new pool when the credentials are renewed: <see cref="CredentialsHandler"/>), so reconnecting
    /// allocates nothing that accumulates. Keep-alive pings find half-open connections.
    /// mTLS only: the node's credentials are loaded here, and the agent does not start without them.
    /// </summary>
    private static GrpcChannel CreateChannel(Uri coordinator, NodeCredentials credentials, Microsoft.Extensions.Logging.ILogger logger)
    {
        if (coordinator.Scheme != Uri.UriSchemeHttps)
        {
            throw new NotEnrolledException($"the coordinator must be an https:// URL, not {coordinator}");
        }

        credentials.Load();
        return GrpcChannel.ForAddress(coordinator, new GrpcChannelOptions
        {
            HttpHandler = new CredentialsHandler(credentials, logger),
            MaxReceiveMessageSize = 4 * 1024 * 1024,
            MaxSendMessageSize = 4 * 1024 * 1024,
        });
    }
}
