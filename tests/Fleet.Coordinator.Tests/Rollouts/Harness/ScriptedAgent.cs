using System.Collections.Concurrent;
using System.Threading.Channels;
using Fleet.Coordinator.Agents;
using Fleet.Coordinator.Steps;
using Fleet.Testing;
using Fleet.V1;

namespace Fleet.Coordinator.Tests.Rollouts.Harness;

/// <summary>
/// A node's agent as the coordinator sees it: a registered <see cref="ConnectedAgent"/> whose outbox the test
/// reads, answering through the real <see cref="StepDispatcher.OnResult"/>. Every message sent to it is
/// recorded. With <see cref="Answer"/> set it answers each step itself (null: the step hangs until cancelled);
/// without it, the test takes each message with <see cref="NextAsync"/>.
/// </summary>
public sealed class ScriptedAgent
{
    private readonly Channel<CoordinatorMessage> _inbox = Channel.CreateUnbounded<CoordinatorMessage>();
    private readonly ConcurrentQueue<CoordinatorMessage> _received = new();
    private StepDispatcher _dispatcher;

    public ScriptedAgent(string nodeId, string name, AgentRegistry registry, StepDispatcher dispatcher)
    {
        NodeId = nodeId;
        Name = name;
        _dispatcher = dispatcher;
        Connect(registry, dispatcher);
    }

    public string NodeId { get; }

    public string Name { get; }

    /// <summary>The outcome of each step sent (null: leave it running), when the agent answers by itself.</summary>
    public Func<StepRequest, StepOutcome?>? Answer { get; set; }

    /// <summary>The whole result of each step sent (its id is filled in; null: leave it running), when the agent answers by
    /// itself with more than an outcome (a reason, rolled_back); checked before <see cref="Answer"/>.</summary>
    public Func<StepRequest, StepResult?>? Respond { get; set; }

    /// <summary>Every message sent to this node, in order, across reconnects.</summary>
    public IReadOnlyList<CoordinatorMessage> Received => [.. _received];

    public IReadOnlyList<StepRequest> Steps => [.. _received.Where(m => m.StepRequest is not null).Select(m => m.StepRequest)];

    /// <summary>A new stream of this node (after a coordinator restart): registered in <paramref name="registry"/>, answering through <paramref name="dispatcher"/>.</summary>
    public void Connect(AgentRegistry registry, StepDispatcher dispatcher)
    {
        _dispatcher = dispatcher;
        var agent = new ConnectedAgent(NodeId, Name, "scripted");
        registry.Attach(agent);
        _ = PumpAsync(agent);
    }

    private async Task PumpAsync(ConnectedAgent agent)
    {
        try
        {
            await foreach (var message in agent.Outbox.Reader.ReadAllAsync(agent.Closed))
            {
                _received.Enqueue(message);
                if (Respond is { } respond && message.StepRequest is { } asked)
                {
                    if (respond(asked) is { } result)
                    {
                        result.Id = asked.Id;
                        _dispatcher.OnResult(NodeId, result);
                    }

                    continue;
                }

                if (Answer is { } answer && message.StepRequest is { } request)
                {
                    if (answer(request) is { } outcome)
                    {
                        Reply(request, outcome);
                    }

                    continue;
                }

                _inbox.Writer.TryWrite(message);
            }
        }
        catch (OperationCanceledException)
        {
            // The stream was replaced (a restart): the new one pumps from here on.
        }
    }

    /// <summary>The next message not answered automatically.</summary>
    public async Task<CoordinatorMessage> NextAsync() => await _inbox.Reader.ReadAsync().AsTask().DefaultTimeout();

    public async Task<StepRequest> NextStepAsync()
    {
        var message = await NextAsync();
        return message.StepRequest ?? throw new InvalidOperationException($"{Name}: expected a step request, got {message}");
    }

    /// <summary>True when a message waits unanswered (checked now, without waiting).</summary>
    public bool HasPending => _inbox.Reader.TryPeek(out _);

    public void Reply(StepRequest request, StepOutcome outcome, string reason = "") =>
        _dispatcher.OnResult(NodeId, new StepResult { Id = request.Id, Outcome = outcome, Reason = reason.Length > 0 ? reason : outcome == StepOutcome.Failed ? "exit status 1" : "done" });

    public void Succeed(StepRequest request) => Reply(request, StepOutcome.Succeeded);

    public void Fail(StepRequest request, string reason = "exit status 1") => Reply(request, StepOutcome.Failed, reason);
}
