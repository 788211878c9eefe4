namespace Fleet.Agent.Steps;

/// <summary>
/// One run of a host program for a step.
/// </summary>
/// <param name="Program">As configured: a bare name looked up on PATH, or an absolute path.</param>
/// <param name="Setting">The flag that configures the program, named when it cannot be found (e.g. --kubeadm-path).</param>
/// <param name="What">What the run is called in log lines and reasons, e.g. "kubeadm join".</param>
/// <param name="Arguments">The argument vector; never passed through a shell.</param>
/// <param name="Scrubber">The step's secrets, removed from everything shown.</param>
public sealed record ProgramCommand(string Program, string Setting, string What, IReadOnlyList<string> Arguments, SecretScrubber Scrubber)
{
    /// <summary>Variables set for the program on top of the scrubbed environment (<see cref="Hosting.ChildEnvironment"/>), e.g. ETCDCTL_API=3; never a secret.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
}
