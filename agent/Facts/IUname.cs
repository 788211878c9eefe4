using System.Runtime.InteropServices;
using System.Text;

namespace Fleet.Agent.Facts;

/// <summary>The kernel's own description of the machine, as uname(2) reports it at run time.</summary>
public interface IUname
{
    UnameInfo Read();
}

public sealed record UnameInfo(string NodeName, string Release, string Machine);

/// <summary>uname(2) through libc. Linux's struct utsname is six 65-byte fields on every architecture.</summary>
public sealed partial class LibcUname : IUname
{
    private const int FieldLength = 65;

    public unsafe UnameInfo Read()
    {
        var buffer = stackalloc byte[FieldLength * 6];
        if (uname(buffer) != 0)
        {
            throw new InvalidOperationException($"uname(2) failed with errno {Marshal.GetLastPInvokeError()}");
        }

        string Field(int i)
        {
            var span = new ReadOnlySpan<byte>(buffer + (i * FieldLength), FieldLength);
            var end = span.IndexOf((byte)0);
            return Encoding.UTF8.GetString(end < 0 ? span : span[..end]);
        }

        return new UnameInfo(NodeName: Field(1), Release: Field(2), Machine: Field(4));
    }

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int uname(byte* buf);
}
