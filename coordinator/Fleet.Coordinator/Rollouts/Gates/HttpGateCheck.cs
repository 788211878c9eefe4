namespace Fleet.Coordinator.Rollouts.Gates;

/// <summary>An http gate: one GET must answer the expected status. The body is never read.</summary>
public sealed class HttpGateCheck(GateHttp http)
{
    /// <summary>Null when it holds, else why not.</summary>
    public async Task<string?> CheckAsync(HttpGate gate, CancellationToken ct)
    {
        try
        {
            var response = await http.GetAsync(gate.Url, maxBody: 0, ct);
            return response.Status == gate.ExpectStatus ? null : $"GET {GateHttp.Where(gate.Url)} answered {response.Status}, expected {gate.ExpectStatus}";
        }
        catch (GateHttpException ex)
        {
            return ex.Message;
        }
    }
}
