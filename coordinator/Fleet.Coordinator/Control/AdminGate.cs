using Fleet.Coordinator.Enrollment;
using Fleet.Coordinator.Hosting;
using Fleet.Coordinator.Security;

namespace Fleet.Coordinator.Control;

/// <summary>
/// The control API over TCP: the TLS handshake already required an admin certificate of the Fleet CA;
/// here its serial must be one this coordinator issued and has not revoked. The unix socket carries
/// no certificate: the socket's permissions are its credential.
/// </summary>
public static class AdminGate
{
    public static IApplicationBuilder UseAdminGate(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (context.Connection.ClientCertificate is { } certificate && context.Request.Path.StartsWithSegments("/fleet.v1.ControlService"))
        {
            var store = context.RequestServices.GetRequiredService<IEnrollmentStore>();
            var issued = await store.FindCertificateAsync(IssuedCertificate.SerialOf(certificate), context.RequestAborted);
            if (issued is not { Kind: ClientSubject.AdminKind, RevokedAt: null })
            {
                var reason = issued is null ? "the admin certificate was not issued by this coordinator" : "the admin certificate is revoked";
                var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AdminGate).FullName!);
                CoordinatorLog.IdentityRefused(logger, certificate.Subject, context.Connection.RemoteIpAddress?.ToString() ?? "?", reason);
                // A trailers-only gRPC response, so fleetctl reads PermissionDenied and the reason.
                context.Response.StatusCode = StatusCodes.Status200OK;
                context.Response.ContentType = "application/grpc";
                context.Response.Headers["grpc-status"] = "7";
                context.Response.Headers["grpc-message"] = Uri.EscapeDataString(reason);
                return;
            }
        }

        await next(context);
    });
}
