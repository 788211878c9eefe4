using Fleet.V1;

namespace Fleet.Agent.Steps.AgentUpgrade;

/// <summary>The Debian Architecture field of a fleet-agent package for a node's arch (the catalog keeps Kubernetes names).</summary>
public static class DebianArch
{
    public static string Of(Arch arch) => arch switch
    {
        Arch.Amd64 => "amd64",
        Arch.Arm64 => "arm64",
        Arch.Arm => "armhf",
        _ => throw new StepFailedException($"this node's architecture {arch} has no Debian name"),
    };
}
