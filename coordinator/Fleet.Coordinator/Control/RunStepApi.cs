using System.Threading.Channels;
using Fleet.Coordinator.Agents;
using Fleet.Coordinator.Catalog;
using Fleet.Coordinator.Nodes;
using Fleet.Coordinator.Rollouts;
using Fleet.Coordinator.Steps;
using Fleet.V1;
using Grpc.Core;

namespace Fleet.Coordinator.Control;

/// <summary>
/// `fleetctl run`: preflight (paths and modes, selector, catalog, architectures, and the rollout
/// preflight's <see cref="TargetChecks"/>: connected, approved, not held by a rollout) refuses before any node
/// is touched; then one resolved step per node, run in parallel, streamed back as plan, updates, results.
/// </summary>
public sealed class RunStepApi(INodeStore nodes, ICatalogStore catalogs, TargetChecks targetChecks, StepDispatcher dispatcher)
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
        problems.AddRange(await targetChecks.ProblemsAsync(targets, ct)); // the rollout preflight's own rule

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
            RunStepRequest.ActionOneofCase.Download when NodePath.Problem(request.Download.Dest) is { } path => $"download.dest: {path}",
            RunStepRequest.ActionOneofCase.Download when DownloadMode.Problem(request.Download.Mode) is { } mode => $"download.mode: {mode}",
            RunStepRequest.ActionOneofCase.InstallCni when request.InstallCni.DestDir.Length > 0 && NodePath.Problem(request.InstallCni.DestDir) is { } path => $"install_cni.dest_dir: {path}",
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
