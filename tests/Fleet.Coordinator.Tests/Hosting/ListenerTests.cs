using System.Net.Sockets;
using Fleet.Testing;
using Fleet.V1;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace Fleet.Coordinator.Tests.Hosting;

/// <summary>Each listener serves only its own API; the control API has no TCP path.</summary>
public sealed class ListenerTests : CoordinatorTest
{
    private GrpcChannel SocketChannel() => GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(Coordinator.Socket), ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
        },
    });

    [Fact]
    public async Task ControlApi_OverTheAgentPort_IsNotServed()
    {
        using var channel = TestTls.Channel(Coordinator.AgentUri, Coordinator.CaCertificate);
        var client = new ControlService.ControlServiceClient(channel);

        var ex = await Assert.ThrowsAsync<RpcException>(() => client.ListAllNodesAsync());

        Assert.Equal(StatusCode.Unimplemented, ex.StatusCode);
    }

    [Fact]
    public async Task ControlApi_OverTheSocket_IsServed()
    {
        using var channel = SocketChannel();
        var client = new ControlService.ControlServiceClient(channel);

        var response = await client.ListAllNodesAsync();

        Assert.Empty(response);
    }

    [Fact]
    public void ControlSocket_IsOwnerAndGroupOnly()
    {
        var mode = File.GetUnixFileMode(Coordinator.Socket);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite, mode);
    }

    [Fact]
    public async Task AgentApi_OverTheSocket_IsNotServed()
    {
        using var channel = SocketChannel();
        using var call = new AgentService.AgentServiceClient(channel).Connect();

        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext(CancellationToken.None).DefaultTimeout());

        Assert.Equal(StatusCode.Unimplemented, ex.StatusCode);
    }

    [Fact]
    public async Task GrpcHealth_OnTheAgentPort_IsServing()
    {
        using var channel = TestTls.Channel(Coordinator.AgentUri, Coordinator.CaCertificate);

        var response = await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest()).ResponseAsync.DefaultTimeout();

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
    }

    [Fact]
    public async Task Reflection_ListsFleetsServices()
    {
        using var channel = TestTls.Channel(Coordinator.AgentUri, Coordinator.CaCertificate);
        using var call = new Grpc.Reflection.V1Alpha.ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo();

        await call.RequestStream.WriteAsync(new Grpc.Reflection.V1Alpha.ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).DefaultTimeout());

        var services = call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("fleet.v1.AgentService", services);
        Assert.Contains("grpc.health.v1.Health", services);
    }

    [Fact]
    public async Task Metrics_OnTheMetricsPortOnly()
    {
        using var http = new HttpClient();
        var metrics = await http.GetStringAsync(new Uri($"http://127.0.0.1:{Coordinator.Options.MetricsListen!.Port}/metrics")).DefaultTimeout();

        Assert.Contains("fleet_agents_connected 0", metrics);
        Assert.Contains("fleet_heartbeats_received_total", metrics);
        Assert.Contains("fleet_nodes{status=\"online\",arch=\"arm64\"} 0", metrics);

        var other = await http.GetAsync(new Uri($"http://127.0.0.1:{Coordinator.Options.MetricsListen.Port}/fleet.v1.ControlService/ListNodes")).DefaultTimeout();
        Assert.Equal(System.Net.HttpStatusCode.NotFound, other.StatusCode);
    }

    [Fact]
    public async Task SecondCoordinator_OnALiveSocket_RefusesToStart()
    {
        var options = TestCoordinator.OptionsIn(Dir.Path);
        options.DataDir = Dir.Combine("other-data");

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => TestCoordinator.StartAsync(options));

        Assert.Contains("is in use", ex.Message);
        Assert.Contains(Coordinator.Socket, ex.Message);
    }

    [Fact]
    public async Task Coordinator_SocketPathIsARegularFile_RefusesToStartAndKeepsTheFile()
    {
        var options = TestCoordinator.OptionsIn(Dir.Combine("third"));
        Directory.CreateDirectory(Path.GetDirectoryName(options.Socket)!);
        await File.WriteAllTextAsync(options.Socket, "an operator's file\n");

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => TestCoordinator.StartAsync(options));

        Assert.Equal($"--socket {options.Socket}: there is a regular file at that path, not a socket; refusing to remove it (choose another path, or remove it yourself)", ex.Message);
        Assert.Equal("an operator's file\n", await File.ReadAllTextAsync(options.Socket));
    }
}
