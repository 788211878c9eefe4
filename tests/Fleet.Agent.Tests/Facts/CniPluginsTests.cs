using Fleet.Agent.Facts;

namespace Fleet.Agent.Tests.Facts;

public sealed class CniPluginsTests : IDisposable
{
    private readonly FixtureRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public void Present_NoFolder_IsEmpty() => Assert.Empty(new CniPlugins(_root.Paths()).Present());

    [Fact]
    public void Present_ExecutableFiles_AreListedSorted()
    {
        _root.Write("/opt/cni/bin/portmap", "", FixtureRoot.Executable);
        _root.Write("/opt/cni/bin/bridge", "", FixtureRoot.Executable);
        _root.Write("/opt/cni/bin/loopback", "", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherExecute);

        Assert.Equal(["bridge", "loopback", "portmap"], new CniPlugins(_root.Paths()).Present());
    }

    [Fact]
    public void Present_NonExecutableHiddenOrFolder_IsNotListed()
    {
        _root.Write("/opt/cni/bin/loopback", "", FixtureRoot.Executable);
        _root.Write("/opt/cni/bin/README", "", FixtureRoot.Regular);
        _root.Write("/opt/cni/bin/.portmap.partial", "", FixtureRoot.Executable);
        _root.CreateDirectory("/opt/cni/bin/bridge");

        Assert.Equal(["loopback"], new CniPlugins(_root.Paths()).Present());
    }

    [Fact]
    public void Present_SymlinkToExecutable_IsListed()
    {
        var target = _root.Write("/usr/libexec/cni/bridge", "", FixtureRoot.Executable);
        _root.CreateDirectory("/opt/cni/bin");
        File.CreateSymbolicLink(_root.Resolve("/opt/cni/bin/bridge"), target);

        Assert.Equal(["bridge"], new CniPlugins(_root.Paths()).Present());
    }

    [Fact]
    public void Present_SymlinkToNonExecutable_IsNotListed()
    {
        var target = _root.Write("/usr/libexec/cni/bridge", "", FixtureRoot.Regular);
        _root.CreateDirectory("/opt/cni/bin");
        File.CreateSymbolicLink(_root.Resolve("/opt/cni/bin/bridge"), target);

        Assert.Empty(new CniPlugins(_root.Paths()).Present());
    }

    [Fact]
    public void Present_DanglingSymlink_IsNotListed()
    {
        // Left behind when the package that owned the target is removed: the plugin is gone.
        _root.Write("/opt/cni/bin/loopback", "", FixtureRoot.Executable);
        File.CreateSymbolicLink(_root.Resolve("/opt/cni/bin/bridge"), _root.Resolve("/usr/libexec/cni/bridge"));

        Assert.Equal(["loopback"], new CniPlugins(_root.Paths()).Present());
    }

    [Fact]
    public void Present_SymlinkLoop_IsNotListed()
    {
        _root.Write("/opt/cni/bin/loopback", "", FixtureRoot.Executable);
        File.CreateSymbolicLink(_root.Resolve("/opt/cni/bin/a"), _root.Resolve("/opt/cni/bin/b"));
        File.CreateSymbolicLink(_root.Resolve("/opt/cni/bin/b"), _root.Resolve("/opt/cni/bin/a"));

        Assert.Equal(["loopback"], new CniPlugins(_root.Paths()).Present());
    }

    [Fact]
    public void Present_SymlinkToFolder_IsNotListed()
    {
        _root.Write("/opt/cni/bin/loopback", "", FixtureRoot.Executable);
        var folder = _root.CreateDirectory("/usr/libexec/cni");
        File.CreateSymbolicLink(_root.Resolve("/opt/cni/bin/more"), folder);

        Assert.Equal(["loopback"], new CniPlugins(_root.Paths()).Present());
    }
}
