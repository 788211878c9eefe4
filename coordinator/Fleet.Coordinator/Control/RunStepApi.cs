using System.Threading.Channels;
using Fleet.Coordinator.Agents;
using Fleet.Coordinator.Catalog;
using Fleet.Coordinator.Nodes;
using Fleet.Coordinator.Steps;
using Fleet.V1;
using Grpc.Core;

namespace Fleet.Coordinator.Control;

/// <summary>
/// `fleetctl run`: preflight (selector, catalog, architectures, connections) refuses before any node
/// is touched; then one resolved step per node, run in parallel, streamed back as plan, updates, results.
/// </summary>
public sealed class RunStepApi(INodeStore nodes, ICatalogStore catalogs, AgentRegistry registry, StepDispatcher dispatcher)
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(30);

    public async Task RunAsync(RunStepRequest request, IServerStreamWriter<RunStepEvent> stream, CancellationToken ct)
    {
        Validate(request);
        var catalog = await catalogs.CurrentAsync(ct)
            ?? throw Refuse("no catalog has been applied yet (fleetctl catalog apply -f FILE)");
        var targets = NodeSelection.Select(await nodes.ListAsync(ct), request.Selector);
        if (targets.Count == 0)
        {
            throw Refuse($"no node matches the selector ({NodeSelection.Describe(request.Selector)})");
        }

        var timeout = request.Timeout?.ToTimeSpan() is { } t && t > TimeSpan.Zero ? t : DefaultTimeout;
        var runId = Guid.NewGuid().ToString("N")[..12];
        var (planned, problems) = StepPlanner.Plan(request, targets, catalog.Document, runId, timeout);
        var disconnected = targets.Where(n => !registry.IsConnected(n.Id)).Select(n => n.Name).ToList();
        if (disconnected.Count > 0)
        {
            problems.Add($"not connected: {string.Join(", ", disconnected)}");
        }

        var unapproved = targets.Where(n => registry.Find(n.Id) is { Approved: false }).Select(n => n.Name).ToList();
        if (unapproved.Count > 0)
        {
            problems.Add($"awaiting approval (fleetctl nodes approve NAME): {string.Join(", ", unapproved)}");
        }

        if (problems.Count > 0)
        {
            throw Refuse($"refusing to run; nothing was sent:\n  {string.Join("\n  ", problems)}");
        }

        var plan = new RunPlan();
        plan.Steps.AddRange(planned.Select(p => new PlannedStep { Node = p.Node.Name, Arch = p.Artifact.Arch, StepId = p.Request.Id, Url = p.Artifact.Url, Sha256 = p.Artifact.Sha256 }));
        var events = Channel.CreateUnbounded<RunStepEvent>(new UnboundedChannelOptions { SingleReader = true });
        events.Writer.TryWrite(new RunStepEvent { Plan = plan });
        var writer = WriteAsync(events.Reader, stream, ct);

        await Task.WhenAll(planned.Select(async p =>
        {
            var result = await dispatcher.RunAsync(
                p.Node.Id,
                p.Request,
                update =>
                {
                    events.Writer.TryWrite(new RunStepEvent { Update = new NodeStepUpdate { Node = p.Node.Name, Update = update } });
                    return ValueTask.CompletedTask;
                },
                timeout + Grace,
                ct);
            events.Writer.TryWrite(new RunStepEvent { Result = new NodeStepResult { Node = p.Node.Name, Result = result } });
        }));
        events.Writer.Complete();
        await writer;
    }

    private static async Task WriteAsync(ChannelReader<RunStepEvent> events, IServerStreamWriter<RunStepEvent> stream, CancellationToken ct)
    {
        await foreach (var e in events.ReadAllAsync(ct))
        {
            await stream.WriteAsync(e, ct);
        }
    }

    private static void Validate(RunStepRequest request)
    {
        var problem = request.ActionCase switch
        {
            RunStepRequest.ActionOneofCase.None => "no action: install_cni or download",
            RunStepRequest.ActionOneofCase.InstallCni when request.InstallCni.Version.Length == 0 => "install_cni.version: missing",
            RunStepRequest.ActionOneofCase.Download when request.Download.Component.Length == 0 => "download.component: missing",
            RunStepRequest.ActionOneofCase.Download when request.Download.Version.Length == 0 => "download.version: missing",
            RunStepRequest.ActionOneofCase.Download when !request.Download.Dest.StartsWith('/') => "download.dest: not an absolute path",
            _ when request.Selector is { Arch: not Arch.Unspecified } s && !s.Arch.IsKnown() => $"selector.arch: unknown value {(int)request.Selector.Arch}",
            _ => null,
        };
        if (problem is not null)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, problem));
        }
    }

    private static RpcException Refuse(string detail) => new(new Status(StatusCode.FailedPrecondition, detail));
}
