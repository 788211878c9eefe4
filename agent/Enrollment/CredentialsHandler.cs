using Microsoft.Extensions.Logging;

namespace Fleet.Agent.Enrollment;

/// <summary>
/// The agent channel's HTTP handler: one TLS connection pool per set of node credentials. A renewal
/// revokes the previous certificate at the coordinator, and a pooled HTTP/2 connection keeps the
/// certificate it was opened with; so once the credentials change, new calls go through a new pool
/// that presents the new certificate. The pool before is left to finish its open calls and disposed
/// at the change after.
/// </summary>
public sealed class CredentialsHandler(NodeCredentials credentials, ILogger logger) : HttpMessageHandler
{
    private readonly Lock _gate = new();
    private (int Generation, HttpMessageInvoker Invoker)? _current;
    private HttpMessageInvoker? _previous;

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
        Invoker().SendAsync(request, cancellationToken);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_gate)
            {
                _previous?.Dispose();
                _current?.Invoker.Dispose();
                _previous = null;
                _current = null;
            }
        }

        base.Dispose(disposing);
    }

    private HttpMessageInvoker Invoker()
    {
        var snapshot = credentials.Current;
        lock (_gate)
        {
            if (_current is { } current && current.Generation == snapshot.Generation)
            {
                return current.Invoker;
            }

            _previous?.Dispose();
            _previous = _current?.Invoker;
            var invoker = new HttpMessageInvoker(CoordinatorTls.Handler(snapshot.Ca, snapshot.Certificate, logger), disposeHandler: true);
            _current = (snapshot.Generation, invoker);
            return invoker;
        }
    }
}
