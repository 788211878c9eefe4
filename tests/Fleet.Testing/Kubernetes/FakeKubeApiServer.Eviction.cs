using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Fleet.Testing.Kubernetes;

// The eviction subresource of pods, with PodDisruptionBudgets.
public sealed partial class FakeKubeApiServer
{
    /// <summary>
    /// POST pods/NAME/eviction: a pod matched by more than one PodDisruptionBudget is a 500; by one that allows
    /// no disruption now, 429 TooManyRequests; else the budget's disruptionsAllowed drops by one and the pod is
    /// deleted (or left terminating). Pods that already finished are not protected by budgets.
    /// </summary>
    private async Task EvictAsync(HttpContext ctx, Route route)
    {
        var body = await ReadObjectAsync(ctx);
        long? grace = body["deleteOptions"]?["gracePeriodSeconds"]?.GetValue<long>();
        var (code, response) = Evict(route.Namespace!, route.Name!, grace);
        lock (_gate)
        {
            _evictions.Add(new RecordedEviction(route.Namespace!, route.Name!, grace, code));
        }

        await WriteAsync(ctx, code, response);
    }

    private (int, JsonObject) Evict(string ns, string name, long? grace)
    {
        lock (_gate)
        {
            if (!_objects.TryGetValue(Key("pods", ns, name), out var pod))
            {
                return (404, NotFound(new Route("pods", ns, name, null)));
            }

            var phase = pod["status"]?["phase"]?.GetValue<string>();
            var labels = pod["metadata"]?["labels"] as JsonObject ?? [];
            var budgets = Matching("poddisruptionbudgets", ns, _ => true)
                .Where(b => (b["spec"]?["selector"]?["matchLabels"] as JsonObject ?? []).All(m => labels[m.Key]?.GetValue<string>() == m.Value?.GetValue<string>()))
                .ToList();
            if (phase is not ("Succeeded" or "Failed"))
            {
                if (budgets.Count > 1)
                {
                    return (500, Status(500, "InternalError", "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."));
                }

                if (budgets.Count == 1)
                {
                    var budget = (JsonObject)budgets[0].DeepClone();
                    var status = budget["status"]!.AsObject();
                    var allowed = status["disruptionsAllowed"]!.GetValue<int>();
                    if (allowed <= 0)
                    {
                        var details = Details("pods", name);
                        details["causes"] = new JsonArray(new JsonObject
                        {
                            ["reason"] = "DisruptionBudget",
                            ["message"] = $"The disruption budget {budget["metadata"]!["name"]} needs {status["desiredHealthy"]} healthy pods and has {status["currentHealthy"]} currently",
                        });
                        return (429, Status(429, "TooManyRequests", "Cannot evict pod as it would violate the pod's disruption budget.", details));
                    }

                    status["disruptionsAllowed"] = allowed - 1;
                    PutLocked("poddisruptionbudgets", ns, budget);
                }
            }

            if (KeepEvictedPodsTerminating)
            {
                var terminating = (JsonObject)pod.DeepClone();
                terminating["metadata"]!["deletionTimestamp"] = Now();
                terminating["metadata"]!["deletionGracePeriodSeconds"] = grace ?? 30;
                PutLocked("pods", ns, terminating);
            }
            else
            {
                DeleteLocked("pods", ns, name);
            }

            return (201, Status(201, "", ""));
        }
    }
}
