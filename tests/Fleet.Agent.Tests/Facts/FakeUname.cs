using Fleet.Agent.Facts;

namespace Fleet.Agent.Tests.Facts;

/// <summary>uname(2) as a test wants it.</summary>
internal sealed class FakeUname(string nodeName, string release, string machine) : IUname
{
    public UnameInfo Read() => new(nodeName, release, machine);
}
