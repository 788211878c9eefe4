using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Connections;

namespace Fleet.Coordinator.Hosting;

/// <summary>
/// At most so many events a second per remote address (a fixed one-second window). As connection
/// middleware it turns away an address that opens connections too fast, before any TLS or HTTP work:
/// the connection is closed at once, costing a dictionary lookup. The Enroll RPC has one of its own.
/// </summary>
public sealed class AddressThrottle(int perSecond, TimeProvider time)
{
    private const int MaxTracked = 10_000;
    private readonly ConcurrentDictionary<IPAddress, Window> _windows = new();

    public Func<ConnectionDelegate, ConnectionDelegate> Middleware => next => context =>
        context.RemoteEndPoint is IPEndPoint remote && !Admit(remote.Address) ? Task.CompletedTask : next(context);

    public bool Admit(IPAddress address)
    {
        var second = time.GetUtcNow().ToUnixTimeSeconds();
        if (_windows.Count > MaxTracked)
        {
            foreach (var old in _windows.Where(w => w.Value.Second != second))
            {
                _windows.TryRemove(old);
            }
        }

        var window = _windows.AddOrUpdate(address, _ => new Window(second, 1), (_, w) => w.Second == second ? w with { Count = w.Count + 1 } : new Window(second, 1));
        return window.Count <= perSecond;
    }

    private sealed record Window(long Second, int Count);
}
