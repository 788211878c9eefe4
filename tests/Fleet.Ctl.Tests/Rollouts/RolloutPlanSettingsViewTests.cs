using System.Text.Json;
using Fleet.Ctl.Rollouts;
using Fleet.V1;

namespace Fleet.Ctl.Tests.Rollouts;

/// <summary>`rollout plan` shows every setting that changes what a rollout does: prefetch turned off, and the webhooks told of it.</summary>
public sealed class RolloutPlanSettingsViewTests
{
    private static Rollout Planned(bool prefetch, params string[] webhooks)
    {
        var strategy = new RolloutStrategySummary { BatchSize = "1", PauseBetweenBatches = "0s", FailureThreshold = "1", OnFailure = "pause", Prefetch = prefetch };
        strategy.Webhooks.AddRange(webhooks);
        return new Rollout { Id = "r1", Recipe = "upgrade-kubernetes v1.12.5", BatchCount = 1, Strategy = strategy };
    }

    private static string Plan(Rollout rollout)
    {
        var w = new StringWriter();
        RolloutViews.PrintPlan(w, RolloutView.From(rollout));
        return w.ToString().ReplaceLineEndings("\n");
    }

    [Fact]
    public void Plan_WithPrefetchOff_SaysSo_AndListsEachWebhook()
    {
        var text = Plan(Planned(prefetch: false, "https://hooks.example (secret ops; events paused, finished)", "http://127.0.0.1:8081 (secret team-b; events all)"));

        Assert.Contains("strategy: batchSize 1, canary 0, pauseBetweenBatches 0s, failureThreshold 1, onFailure pause, prefetch off\n", text);
        Assert.Contains("webhook: https://hooks.example (secret ops; events paused, finished)\nwebhook: http://127.0.0.1:8081 (secret team-b; events all)\n", text);
    }

    [Fact]
    public void Plan_WithTheDefaults_HasNeitherLine_AndJsonCarriesBoth()
    {
        var rollout = Planned(prefetch: true);
        var text = Plan(rollout);

        Assert.DoesNotContain("prefetch", text);
        Assert.DoesNotContain("webhook", text);
        using var json = JsonDocument.Parse(JsonSerializer.Serialize(RolloutView.From(rollout), RolloutJson.Default.RolloutView));
        Assert.True(json.RootElement.GetProperty("strategy").GetProperty("prefetch").GetBoolean());
        Assert.Equal(0, json.RootElement.GetProperty("strategy").GetProperty("webhooks").GetArrayLength());
    }
}
