using Fleet.V1;
using Google.Protobuf.WellKnownTypes;

namespace Fleet.Agent.Health;

/// <summary>Runs every health check once; a check that throws is reported as unknown with its error.</summary>
public sealed class HealthSampler(IEnumerable<INodeHealthCheck> checks, TimeProvider time)
{
    public async Task<HealthSample> SampleAsync(CancellationToken ct)
    {
        var sample = new HealthSample { SampledAt = Timestamp.FromDateTimeOffset(time.GetUtcNow()) };
        foreach (var check in checks)
        {
            try
            {
                sample.Checks.Add(await check.CheckAsync(ct));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                sample.Checks.Add(Check.Unknown(check.Name, $"check failed: {ex.Message}"));
            }
        }

        return sample;
    }
}
