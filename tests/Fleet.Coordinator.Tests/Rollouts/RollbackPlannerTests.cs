using Fleet.Coordinator.Rollouts;
using Fleet.Coordinator.Tests.Rollouts.Harness;
using Fleet.Testing;
using Fleet.V1;

namespace Fleet.Coordinator.Tests.Rollouts;

/// <summary>
/// `fleetctl rollout rollback ID` on the coordinator (<see cref="RollbackPlanner"/>, <see cref="RollbackRollouts"/>) over the
/// rig: refusals (unknown id, unfinished original, nothing to undo, control-plane nodes only), and the new rollout: its
/// nodes, per-node steps and from-versions, the original's strategy, a plan YAML the parser accepts, stored and driven
/// like any rollout, resumed after a restart.
/// </summary>
public sealed class RollbackPlannerTests : IAsyncLifetime
{
    private static readonly string Sha = new('a', 64);

    private const string Upgrade = """
        target: {}
        strategy:
          batchSize: 2
          canary: 1
          failureThreshold: 2
          onFailure: abort
          keepCordoned: true
          onNodeFailure: rollback
          timeouts: { ready: 7m }
          windows: ["Sat 02:00-06:00 Europe/Berlin"]
          gates:
            - nodesReady: { scope: cluster, timeout: 5m }
        recipe:
          upgrade-kubernetes: { version: v1.12.5 }
        """;

    private RolloutRig _rig = null!;
    private RollbackRollouts _rollbacks = null!;

    public async Task InitializeAsync()
    {
        _rig = await RolloutRig.StartAsync(["w1", "w2", "w3"], controlPlanes: ["cp1"]);
        await _rig.ApplyCatalogAsync($$"""
            components:
              kubeadm: { kind: binary, url: "https://dl.example/{version}/{arch}/kubeadm", versions: { v1.12.5: { amd64: { sha256: {{Sha}} } } } }
              kubelet: { kind: binary, url: "https://dl.example/{version}/{arch}/kubelet", versions: { v1.12.5: { amd64: { sha256: {{Sha}} } } } }
              kubectl: { kind: binary, url: "https://dl.example/{version}/{arch}/kubectl", versions: { v1.12.5: { amd64: { sha256: {{Sha}} } } } }
            """);
        _rollbacks = new RollbackRollouts(new RollbackPlanner(_rig.Store, _rig.Cluster), _rig.Engine);
    }

    public async Task DisposeAsync() => await _rig.DisposeAsync();

    /// <summary>An upgrade of cp1, w1, w2 and w3 (no windows or gates: the rig's clock stands still) driven to its end.</summary>
    private async Task<string> UpgradedAsync(Func<string, StepRequest, StepOutcome>? answer = null, RolloutState end = RolloutState.Succeeded)
    {
        foreach (var agent in _rig.Agents)
        {
            agent.Answer = request => answer?.Invoke(agent.Name, request) ?? StepOutcome.Succeeded;
        }

        var id = await _rig.ApplyAsync("""
            target: {}
            strategy: { batchSize: 3, failureThreshold: 4, onNodeFailure: rollback }
            recipe:
              upgrade-kubernetes: { version: v1.12.5 }
            """);
        await _rig.WaitForStateAsync(id, end);
        return id;
    }

    private async Task<string> RefusedAsync(string id)
    {
        var ex = await Assert.ThrowsAsync<RolloutStateException>(() => _rollbacks.RollbackAsync(id, dryRun: false, CancellationToken.None)).DefaultTimeout();
        return ex.Message;
    }

    [Fact]
    public async Task UnknownId_IsNull()
    {
        Assert.Null(await _rollbacks.RollbackAsync("r99", dryRun: false, CancellationToken.None).DefaultTimeout());
    }

    [Fact]
    public async Task RunningOriginal_IsRefused_AbortItFirst()
    {
        foreach (var agent in _rig.Agents)
        {
            agent.Answer = _ => null; // every step stays running
        }

        var id = await _rig.ApplyAsync("target: { names: [w1] }\nsteps:\n  - download: { component: kubelet, version: v1.12.5, dest: /usr/bin/kubelet }\n");

        Assert.Equal($"rollout {id} is running: abort it first (fleetctl rollout abort {id}), then roll it back", await RefusedAsync(id));
        await _rig.Engine.AbortAsync(id, CancellationToken.None).DefaultTimeout(); // the stuck step is cancelled
    }

    [Fact]
    public async Task NothingReplaced_IsRefused()
    {
        foreach (var agent in _rig.Agents)
        {
            agent.Answer = request => request.StepCase == StepRequest.StepOneofCase.Download ? StepOutcome.Failed : StepOutcome.Succeeded;
        }

        var id = await _rig.ApplyAsync("target: { names: [w1] }\nsteps:\n  - download: { component: kubelet, version: v1.12.5, dest: /usr/bin/kubelet }\n");
        await _rig.WaitForStateAsync(id, RolloutState.Paused);
        await _rig.Engine.AbortAsync(id, CancellationToken.None).DefaultTimeout();

        Assert.Equal($"rollout {id} has nothing to undo: it replaced no file on any node", await RefusedAsync(id));
    }

    [Fact]
    public async Task ControlPlaneOnly_IsRefused_PointingToTheEtcdSnapshot()
    {
        _rig.Cluster.ServerVersion = "v1.12.0";
        foreach (var agent in _rig.Agents)
        {
            agent.Answer = _ => StepOutcome.Succeeded;
        }

        var id = await _rig.ApplyAsync("target: { names: [cp1] }\nrecipe:\n  upgrade-kubernetes: { version: v1.12.5 }\n");
        await _rig.WaitForStateAsync(id, RolloutState.Succeeded);

        Assert.Equal(
            $"rollout {id}: no worker to roll back:\n  cp1: a control-plane node: kubeadm does not downgrade a control plane; restore the etcd snapshot (docs/rollouts.md#restoring-an-etcd-snapshot)",
            await RefusedAsync(id));
        Assert.Single(await _rig.Store.ListAsync(CancellationToken.None)); // nothing stored
    }

    [Fact]
    public async Task Rollback_NewRollout_OfTheWorkersThatHadAReplace_WithEachNodesFromVersion()
    {
        // w3's kubeadm download fails: nothing replaced there, so nothing to undo. w2 fails after its replaces and rolls itself back.
        var id = await UpgradedAsync(
            (node, request) => (node, request.StepCase) switch
            {
                ("w3", StepRequest.StepOneofCase.Download) => StepOutcome.Failed,
                ("w2", StepRequest.StepOneofCase.Systemd) when request.Systemd.Action == SystemdAction.Restart && _rig["w2"].Steps.All(s => s.StepCase != StepRequest.StepOneofCase.RestorePrevious) => StepOutcome.Failed,
                _ => StepOutcome.Succeeded,
            },
            RolloutState.Failed);
        Assert.Equal("v1.12.5", _rig.Cluster.KubeletVersionOf("w1"));
        var before = (await _rig.Store.ListAsync(CancellationToken.None)).Count;

        var result = await _rollbacks.RollbackAsync(id, dryRun: false, CancellationToken.None).DefaultTimeout();

        var (view, refused, problems) = Assert.NotNull(result);
        Assert.True(view is not null, string.Join("; ", problems));
        Assert.Equal(before + 1, (await _rig.Store.ListAsync(CancellationToken.None)).Count);
        Assert.Equal(
            [
                $"cp1: {RollbackPlanner.ControlPlaneRefusal}",
                $"w2: already rolled back by {id} itself (strategy.onNodeFailure: rollback)",
            ],
            refused);
        var w1 = Assert.Single(view.Nodes);
        Assert.Equal(("w1", "v1.12.5"), (w1.Name, w1.FromVersion)); // the new rollout's own from-version: where w1 is now
        Assert.Equal(
            ["cordon w1", "drain w1", $"restore the files rollout {id} replaced", "systemctl daemon-reload", "systemctl restart kubelet.service", "wait until the kubelet is healthy", "wait until w1 is Ready at v1.12.0", "uncordon w1"],
            w1.Steps.Select(s => s.Description));
        Assert.DoesNotContain(w1.Steps, s => s.OnFailure);
        Assert.Equal($"rollback-{id}", view.Name);

        var done = await _rig.WaitForStateAsync(view.Id, RolloutState.Succeeded);
        var restore = Assert.Single(_rig["w1"].Steps, s => s.StepCase == StepRequest.StepOneofCase.RestorePrevious);
        Assert.Equal((view.Id, id), (restore.RolloutId, restore.RestorePrevious.RolloutId));
        Assert.Equal("v1.12.0", _rig.Cluster.KubeletVersionOf("w1"));
        Assert.False(_rig.Cluster.IsCordoned("w1"));
        Assert.Contains(await _rig.LogsAsync(view.Id), l => l.Message.StartsWith($"rollback of {id}: left out: cp1: a control-plane node", StringComparison.Ordinal));
        Assert.Equal(RolloutNodeState.Succeeded, done.Nodes.Single().State);
    }

    [Fact]
    public async Task Rollback_CopiesTheStrategy_AndItsPlanParsesBack()
    {
        _rig.Cluster.ServerVersion = "v1.12.0";
        var id = await UpgradedAsync();

        var result = await _rollbacks.RollbackAsync(id, dryRun: true, CancellationToken.None).DefaultTimeout();

        var (view, refused, problems) = Assert.NotNull(result);
        Assert.True(view is not null, string.Join("; ", problems));
        Assert.Equal(["w1", "w2", "w3"], view.Nodes.Select(n => n.Name).Order());
        Assert.All(view.Nodes, n => Assert.EndsWith("Ready at v1.12.0", n.Steps.Single(s => s.Kind == StepKinds.WaitReady).Description, StringComparison.Ordinal));
        Assert.Equal([$"cp1: {RollbackPlanner.ControlPlaneRefusal}"], refused);
        Assert.Equal(new[] { id }, (await _rig.Store.ListAsync(CancellationToken.None)).Select(r => r.Id)); // a dry run stores nothing

        // Its YAML is a real plan: parsed back, it gives the same strategy, the same steps, and nothing to roll back itself.
        var (back, backProblems) = PlanParser.Parse(view.PlanYaml);
        Assert.True(back is not null, string.Join("; ", backProblems));
        Assert.Equal(OnNodeFailure.Fail, back.Strategy.OnNodeFailure);
        Assert.Equal([StepKinds.Cordon, StepKinds.Drain, StepKinds.RestorePrevious, StepKinds.Systemd, StepKinds.Systemd, StepKinds.WaitKubeletHealthy, StepKinds.WaitReady, StepKinds.Uncordon],
            Assert.IsType<StepsRecipe>(back.Recipe).Steps.Select(s => s.Kind));
        Assert.Equal(id, ((StepsRecipe)back.Recipe).Steps.OfType<NodeStep.RestorePrevious>().Single().Rollout);
        Assert.Equal("v1.12.0", ((StepsRecipe)back.Recipe).Steps.OfType<NodeStep.WaitReady>().Single().Version); // every node had the same one
    }

    [Fact]
    public async Task Rollback_OfAPlanWithEveryStrategySetting_KeepsThemAll()
    {
        // A plan with windows, gates, canary and notifications never finishes on the rig's standing clock; its strategy is
        // copied from the YAML, so the copy is checked on the plan the planner makes from a finished rollout's YAML.
        _rig.Cluster.ServerVersion = "v1.12.0";
        var id = await UpgradedAsync();
        var withStrategy = await RollbackYamlAsync(id, Upgrade);

        var (copy, problems) = PlanParser.Parse(withStrategy);
        var (original, _) = PlanParser.Parse(Upgrade);

        Assert.True(copy is not null, string.Join("; ", problems));
        Assert.Equal(StrategySummary.From(original!.Strategy with { OnNodeFailure = OnNodeFailure.Fail }).ToString(), StrategySummary.From(copy.Strategy).ToString());
        Assert.Equal(["Sat 02:00-06:00 Europe/Berlin"], copy.Strategy.Windows.Select(w => w.Text));
        Assert.Single(copy.Strategy.Gates);
    }

    /// <summary>The rollback plan of finished rollout <paramref name="id"/> had its plan been <paramref name="yaml"/> (written into the store's row as apply would have).</summary>
    private async Task<string> RollbackYamlAsync(string id, string yaml)
    {
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_rig.DatabasePath}"))
        {
            await connection.OpenAsync();
            await using var update = connection.CreateCommand();
            update.CommandText = "UPDATE rollouts SET plan_yaml = $yaml WHERE id = $id";
            update.Parameters.AddWithValue("$yaml", yaml);
            update.Parameters.AddWithValue("$id", id);
            await update.ExecuteNonQueryAsync();
        }

        var plan = await new RollbackPlanner(_rig.Store, _rig.Cluster).PlanAsync(id, CancellationToken.None).DefaultTimeout();
        Assert.NotNull(plan);
        return plan.Plan.Yaml;
    }

    [Fact]
    public async Task RestartDuringTheRollback_ResumesIt_WithTheSameSteps()
    {
        _rig.Cluster.ServerVersion = "v1.12.0";
        var id = await UpgradedAsync();
        var hang = new TaskCompletionSource<StepRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
        var resent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var restarted = false;
        foreach (var agent in _rig.Agents)
        {
            agent.Answer = request =>
            {
                if (agent.Name != "w1" || request.StepCase != StepRequest.StepOneofCase.RestorePrevious)
                {
                    return StepOutcome.Succeeded;
                }

                if (Volatile.Read(ref restarted))
                {
                    resent.TrySetResult();
                    return StepOutcome.Succeeded; // the agent's journal answers the re-sent restore
                }

                hang.TrySetResult(request);
                return null;
            };
        }

        var result = await _rollbacks.RollbackAsync(id, dryRun: false, CancellationToken.None).DefaultTimeout();
        var rollback = Assert.NotNull(result).View!.Id;
        var first = await hang.Task.DefaultTimeout();
        Volatile.Write(ref restarted, true);
        await _rig.RestartAsync();
        await resent.Task.DefaultTimeout();
        var done = await _rig.WaitForStateAsync(rollback, RolloutState.Succeeded);

        var restores = _rig["w1"].Steps.Where(s => s.StepCase == StepRequest.StepOneofCase.RestorePrevious).ToList();
        Assert.Equal([first.Id, first.Id], restores.Select(r => r.Id)); // the same step, re-sent under its id: the agent runs it once
        Assert.Equal(8, done.Nodes.Single(n => n.Name == "w1").Steps.Count(s => s.State == RolloutStepState.Succeeded));
    }
}
