using System.Security.Cryptography;
using System.Threading.Channels;
using Fleet.Agent.Configuration;
using Fleet.Agent.Steps;
using Fleet.Agent.Steps.Previous;
using Fleet.Agent.Tests.Facts;
using Fleet.Testing;
using Fleet.V1;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fleet.Agent.Tests.Steps;

/// <summary>
/// A fixture root for the node, a real artifact server over a folder of its own, a real HttpClient
/// set up as the agent's, fast retries, and an outbox that records progress.
/// </summary>
internal sealed class ArtifactHarness : IAsyncDisposable
{
    private readonly TempDir _served;

    private ArtifactHarness(TempDir served, ArtifactServer server)
    {
        _served = served;
        Server = server;
        Options = Root.Options();
        Options.DownloadRetryBase = TimeSpan.FromMilliseconds(10);
        Options.DownloadRetryCap = TimeSpan.FromMilliseconds(200);
        Options.DownloadStallTimeout = TimeSpan.FromSeconds(5); // the stall tests shorten it; a busy machine must not stall the others
        Sink.Attach(Outbox.Writer);
    }

    public FixtureRoot Root { get; } = new();

    public ArtifactServer Server { get; }

    /// <summary>The agent's own: no overall timeout (the Downloader detects stalls), no decompression, no redirect followed on its own.</summary>
    public HttpClient Http { get; } = Fleet.Agent.Steps.Downloader.CreateHttpClient();

    public AgentOptions Options { get; }

    public Channel<AgentMessage> Outbox { get; } = Channel.CreateUnbounded<AgentMessage>();

    public StepSink Sink { get; } = new();

    public static async Task<ArtifactHarness> StartAsync()
    {
        var served = new TempDir();
        return new ArtifactHarness(served, await ArtifactServer.StartAsync(served.Path));
    }

    /// <summary>Puts a file on the server; returns its sha256.</summary>
    public string Serve(string name, byte[] content)
    {
        var path = Path.Join(_served.Path, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        return Sha256(content);
    }

    public static string Sha256(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    public Downloader Downloader() => new(Http, Options, Leftovers(), TimeProvider.System, NullLogger<Downloader>.Instance);

    /// <summary>The agent's record of its temporary files, in this node's state folder.</summary>
    public LeftoverFiles Leftovers() => new(Root.Paths(Options), NullLogger<LeftoverFiles>.Instance);

    /// <summary>The agent's step journal in this node's state folder: one per harness, as one per agent.</summary>
    public StepJournal Journal => _journal ??= new StepJournal(Root.Paths(Options));

    private StepJournal? _journal;

    /// <summary>What keeps and journals the files the handlers replace, over <see cref="Journal"/>.</summary>
    public PreviousFiles Previous() => _previous ??= new(Journal, Root.Paths(Options));

    private PreviousFiles? _previous;

    /// <summary>The agent's staging cache, in this node's state folder.</summary>
    public StagingCache Cache(StagingCacheOptions? options = null, TimeProvider? time = null) =>
        new(Root.Paths(Options), Leftovers(), options ?? new StagingCacheOptions(), time ?? TimeProvider.System, NullLogger<StagingCache>.Instance);

    /// <summary>NodeArch as uname(2) would give it on a machine of that name (x86_64, aarch64).</summary>
    public static NodeArch Arch(string machine) => new(new FakeUname("node-1", "6.8.0", machine));

    /// <summary>
    /// The step's timeout, as StepRunner would give it: downloads retry transient failures until it.
    /// Long by default (a test that expects success must not race it); the tests of failures that
    /// last shorten it.
    /// </summary>
    public TimeSpan StepTimeout { get; set; } = TimeSpan.FromMinutes(2);

    private readonly List<CancellationTokenSource> _deadlines = [];

    /// <summary>A step's progress with its deadline <see cref="StepTimeout"/> from now, as StepRunner makes it.</summary>
    public StepProgress Progress(string stepId = "step-1")
    {
        var deadline = new CancellationTokenSource(StepTimeout);
        _deadlines.Add(deadline);
        return new(stepId, Sink, TimeProvider.System) { Deadline = TimeProvider.System.GetUtcNow() + StepTimeout, DeadlineReached = deadline.Token };
    }

    /// <summary>Every update sent so far.</summary>
    public IReadOnlyList<StepUpdate> Updates()
    {
        var updates = new List<StepUpdate>();
        while (Outbox.Reader.TryRead(out var message))
        {
            if (message.StepUpdate is { } update)
            {
                updates.Add(update);
            }
        }

        return updates;
    }

    /// <summary>Temporary files a download leaves beside its destination (the kept previous files are no leftover).</summary>
    public static string[] Leftovers(string folder) => Directory.Exists(folder)
        ? Directory.GetFileSystemEntries(folder).Select(p => Path.GetFileName(p)).Where(n => n.StartsWith(".fleet-", StringComparison.Ordinal) && n != PreviousFiles.FolderName).ToArray()
        : [];

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Http.Dispose();
        _previous?.Dispose();
        _deadlines.ForEach(d => d.Dispose());
        Root.Dispose();
        _served.Dispose();
    }
}
