using System.Net;

namespace Fleet.Bench.Load;

/// <summary>
/// Each simulated agent connects from its own loopback address, as each real node has its own: the
/// coordinator's per-address limits (connections and enrollments a second) then apply to it exactly
/// as they would to a real fleet, with the coordinator's defaults unchanged. Linux routes all of
/// 127.0.0.0/8 to lo, so binding a client socket to 127.A.B.C needs no setup.
/// </summary>
internal static class SourceAddresses
{
    public const int Max = 250 * 250 * 100;

    /// <summary>Agent <paramref name="index"/> (0-based) → 127.(100 + i / 62,500).((i / 250) % 250).(i % 250 + 1).</summary>
    public static IPAddress For(int index)
    {
        if (index is < 0 or >= Max)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"at most {Max} simulated agents have an address of their own");
        }

        return new IPAddress(new byte[] { 127, (byte)(100 + index / 62_500), (byte)(index / 250 % 250), (byte)(index % 250 + 1) });
    }
}
