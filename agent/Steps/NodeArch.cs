using Fleet.Agent.Facts;
using Fleet.V1;

namespace Fleet.Agent.Steps;

/// <summary>This node's architecture, read once from uname(2) at run time.</summary>
public sealed class NodeArch(IUname uname)
{
    private readonly Lazy<Arch> _arch = new(() => ArchNormalizer.Normalize(uname.Read().Machine));

    public Arch Value => _arch.Value;
}
