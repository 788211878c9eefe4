using Fleet.Coordinator.Hosting;
using Grpc.Core;

namespace Fleet.Coordinator.Enrollment;

/// <summary>
/// Enroll is the one call an unauthenticated peer can make that touches the store: an address that
/// calls it too often (many streams over one connection, say) is answered ResourceExhausted at once.
/// </summary>
public sealed class EnrollThrottle(AddressThrottle throttle)
{
    public void Check(ServerCallContext context)
    {
        if (context.GetHttpContext().Connection.RemoteIpAddress is { } address && !throttle.Admit(address))
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, "too many enrollment attempts from this address; try again in a second"));
        }
    }
}
