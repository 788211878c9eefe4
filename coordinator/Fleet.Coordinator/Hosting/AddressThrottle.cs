using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace Fleet.Coordinator.Hosting;

/// <summary>
/// At most so many events a second per source (a fixed one-second window). As connection middleware
/// it turns away a source that opens connections too fast, before any TLS or HTTP work: the
/// connection is closed at once. The Enroll RPC has one of its own.
/// <para>
/// A source is an IPv4 address (IPv4-mapped IPv6 included) or an IPv6 /64 prefix: one host holds a
/// whole /64, so keying by full IPv6 address would let it walk around the limit.
/// </para>
/// <para>
/// Work per check is O(1) and memory is bounded: only the current second's counts are kept (a new
/// second starts a new table), and that table holds at most <see cref="MaxTracked"/> sources. When
/// it is full, a source not in it is refused for the rest of the second (fail closed): a flood from
/// that many sources at once is refused rather than tracked.
/// </para>
/// </summary>
public sealed class AddressThrottle(int perSecond, TimeProvider time)
{
    public const int MaxTracked = 10_000;
    private readonly Lock _gate = new();
    private Dictionary<UInt128, int> _counts = [];
    private long _second = long.MinValue;

    public Func<ConnectionDelegate, ConnectionDelegate> Middleware => next => context =>
        context.RemoteEndPoint is IPEndPoint remote && !Admit(remote.Address) ? Task.CompletedTask : next(context);

    /// <summary>How many sources the current second's table holds (for tests).</summary>
    public int Tracked
    {
        get
        {
            lock (_gate)
            {
                return _counts.Count;
            }
        }
    }

    public bool Admit(IPAddress address)
    {
        var key = SourceOf(address);
        var second = time.GetUtcNow().ToUnixTimeSeconds();
        lock (_gate)
        {
            if (second != _second)
            {
                _second = second;
                _counts = [];
            }

            if (_counts.TryGetValue(key, out var count))
            {
                _counts[key] = count + 1;
                return count + 1 <= perSecond;
            }

            if (_counts.Count >= MaxTracked)
            {
                return false;
            }

            _counts[key] = 1;
            return 1 <= perSecond;
        }
    }

    /// <summary>The throttled source of an address: the IPv4 address, or the IPv6 /64 prefix (tagged so the two never collide).</summary>
    public static UInt128 SourceOf(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        Span<byte> bytes = stackalloc byte[16];
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            address.TryWriteBytes(bytes[..4], out _);
            return new UInt128(1UL << 32, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes));
        }

        address.TryWriteBytes(bytes, out _);
        return new UInt128(2UL << 32, 0) | new UInt128(0, System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes[..8]));
    }
}
