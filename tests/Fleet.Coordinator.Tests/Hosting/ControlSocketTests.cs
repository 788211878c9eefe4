using System.Net.Sockets;
using Fleet.Coordinator.Hosting;
using Fleet.Testing;

namespace Fleet.Coordinator.Tests.Hosting;

public sealed class ControlSocketTests
{
    [Fact]
    public void GroupId_FindsTheFleetGroup()
    {
        string[] lines = ["root:x:0:", "fleetwood:x:998:", "fleet:x:997:alice,bob", "users:x:100:"];

        Assert.Equal(997, ControlSocket.GroupId(lines, "fleet"));
    }

    [Fact]
    public void GroupId_NoSuchGroup_IsNull() => Assert.Null(ControlSocket.GroupId(["root:x:0:", "garbage", "fleet:x:notanumber:"], "fleet"));

    [Fact]
    public void Prepare_RegularFileAtThePath_IsRefusedAndKept()
    {
        using var dir = new TempDir();
        var path = dir.Combine("passwd");
        File.WriteAllText(path, "root:x:0:0:root:/root:/bin/bash\n");

        var ex = Assert.Throws<InvalidOperationException>(() => ControlSocket.Prepare(path));

        Assert.Equal($"--socket {path}: there is a regular file at that path, not a socket; refusing to remove it (choose another path, or remove it yourself)", ex.Message);
        Assert.Equal("root:x:0:0:root:/root:/bin/bash\n", File.ReadAllText(path));
    }

    [Fact]
    public void Prepare_FolderOrLinkAtThePath_IsRefusedAndKept()
    {
        using var dir = new TempDir();
        var folder = dir.Combine("folder");
        Directory.CreateDirectory(folder);
        var target = dir.Combine("target");
        File.WriteAllText(target, "kept");
        var link = dir.Combine("link.sock");
        File.CreateSymbolicLink(link, target);

        Assert.Contains("there is a folder at that path", Assert.Throws<InvalidOperationException>(() => ControlSocket.Prepare(folder)).Message, StringComparison.Ordinal);
        Assert.Contains("there is a symbolic link at that path", Assert.Throws<InvalidOperationException>(() => ControlSocket.Prepare(link)).Message, StringComparison.Ordinal);
        Assert.True(Directory.Exists(folder));
        Assert.Equal("kept", File.ReadAllText(link));
    }

    [Fact]
    public void Prepare_StaleSocket_IsRemoved_AndASocketInUse_IsRefused()
    {
        using var dir = new TempDir();
        var stale = dir.Combine("stale.sock");
        using (var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            // .NET unlinks the file of a socket it bound when it is disposed: moved away first, it
            // stays behind as a crashed coordinator's socket does.
            listener.Bind(new UnixDomainSocketEndPoint(dir.Combine("bound.sock")));
            File.Move(dir.Combine("bound.sock"), stale);
        }

        var live = dir.Combine("live.sock");
        using var listening = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listening.Bind(new UnixDomainSocketEndPoint(live));
        listening.Listen();

        Assert.Equal(UnixFileType.Socket, UnixFileType.Of(stale));
        ControlSocket.Prepare(stale);
        Assert.Equal(UnixFileType.None, UnixFileType.Of(stale));
        Assert.Contains("is in use", Assert.Throws<InvalidOperationException>(() => ControlSocket.Prepare(live)).Message, StringComparison.Ordinal);
        Assert.Equal(UnixFileType.Socket, UnixFileType.Of(live));
    }
}
