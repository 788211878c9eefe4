using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace Fleet.Coordinator.Hosting;

/// <summary>
/// Each listener serves only its own API: agents' gRPC on the agent port, the control API on the
/// unix socket (and on the optional TCP control listener, behind admin certificates), metrics on the
/// metrics port. Connections are tagged by the listener that accepted them; a request for another
/// listener's API gets 404, so the control API is never served on the agent port.
/// </summary>
public static class ListenerGate
{
    public const string Agent = "agent";
    public const string Control = "control";
    public const string Metrics = "metrics";
    private const string ItemKey = "fleet.listener";

    private static readonly string[] Health = ["/grpc.health.v1.Health/", "/grpc.reflection."];

    /// <summary>Kestrel connection middleware that tags a listener's connections.</summary>
    public static Func<ConnectionDelegate, ConnectionDelegate> Tag(string listener) => next => context =>
    {
        context.Items[ItemKey] = listener;
        return next(context);
    };

    public static bool Allows(string? listener, PathString path) => listener switch
    {
        Agent => path.StartsWithSegments("/fleet.v1.AgentService") || StartsWithAny(path, Health),
        Control => path.StartsWithSegments("/fleet.v1.ControlService") || StartsWithAny(path, Health),
        Metrics => path.StartsWithSegments("/metrics"),
        _ => false,
    };

    public static IApplicationBuilder UseListenerGate(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var listener = context.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(ItemKey, out var value) == true ? value as string : null;
        if (!Allows(listener, context.Request.Path))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        await next(context);
    });

    private static bool StartsWithAny(PathString path, string[] prefixes) =>
        prefixes.Any(p => path.Value?.StartsWith(p, StringComparison.Ordinal) == true);
}
