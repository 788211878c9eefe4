using Fleet.Coordinator.Rollouts;
using Fleet.V1;

namespace Fleet.Coordinator.Tests.Rollouts.Harness;

/// <summary>The real store whose writes fail while <see cref="Failing"/> is set (a full disk, a lost database), reads untouched.</summary>
public sealed class FailingRolloutStore(IRolloutStore inner) : IRolloutStore
{
    public bool Failing { get; set; }

    private Task Write(Func<Task> write) => Failing ? Task.FromException(new IOException("disk I/O error")) : write();

    public Task<string> CreateAsync(PreparedRollout prepared, string nonce, DateTimeOffset now, CancellationToken ct) => inner.CreateAsync(prepared, nonce, now, ct);

    public Task SetRolloutAsync(string id, RolloutState state, string reason, DateTimeOffset now, CancellationToken ct) => Write(() => inner.SetRolloutAsync(id, state, reason, now, ct));

    public Task SetNodeAsync(string id, string node, RolloutNodeState state, string failure, bool cordoned, CancellationToken ct) => Write(() => inner.SetNodeAsync(id, node, state, failure, cordoned, ct));

    public Task SetStepAsync(string id, string node, int index, RolloutStepState state, string reason, CancellationToken ct) => Write(() => inner.SetStepAsync(id, node, index, state, reason, ct));

    public Task RetryStepAsync(string id, string node, int index, CancellationToken ct) => Write(() => inner.RetryStepAsync(id, node, index, ct));

    public Task AppendLogAsync(string id, RolloutLogLine line, CancellationToken ct) => Write(() => inner.AppendLogAsync(id, line, ct));

    public IAsyncEnumerable<RolloutLogLine> LogsAsync(string id, string? node, CancellationToken ct) => inner.LogsAsync(id, node, ct);

    public IAsyncEnumerable<(long Seq, RolloutLogLine Line)> LogsAfterAsync(string id, string? node, long afterSeq, CancellationToken ct) => inner.LogsAfterAsync(id, node, afterSeq, ct);

    public Task<List<Rollout>> ListAsync(CancellationToken ct) => inner.ListAsync(ct);

    public Task<List<string>> ActiveIdsAsync(CancellationToken ct) => inner.ActiveIdsAsync(ct);

    public Task<Dictionary<string, string>> HoldsAsync(CancellationToken ct) => inner.HoldsAsync(ct);

    public Task<StoredRollout?> GetAsync(string id, CancellationToken ct) => inner.GetAsync(id, ct);
}
