namespace Fleet.Coordinator.Rollouts.Gates;

/// <summary>Validates `strategy.gates` into <see cref="Gate"/>s, listing every problem by its path (strategy.gates[1].prometheus.query: ...).</summary>
public static class GateParser
{
    /// <summary>The bound of every gate duration (soak, for, timeout): a gate that waits longer is a plan mistake.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromHours(24);

    public static readonly TimeSpan DefaultNodesReadyTimeout = TimeSpan.FromMinutes(5);

    private const string Kinds = "nodesReady, soak, prometheus, http";

    public static GateList Parse(List<GateDocument>? docs, List<string> problems)
    {
        var gates = new List<Gate>();
        string? soakAt = null;
        for (var i = 0; i < (docs?.Count ?? 0); i++)
        {
            var at = $"strategy.gates[{i}]";
            var doc = docs![i];
            if (doc is null)
            {
                problems.Add($"{at}: empty; give one of {Kinds}");
                continue;
            }

            var kinds = new List<string>();
            Gate? gate = null;
            if (doc.NodesReady is { } nr)
            {
                kinds.Add("nodesReady");
                gate = NodesReady($"{at}.nodesReady", nr, problems);
            }

            if (doc.Soak is { } soak)
            {
                kinds.Add("soak");
                gate = Duration($"{at}.soak", soak, allowZero: false, problems) is { } d ? new SoakGate(d) : null;
                if (soakAt is not null)
                {
                    problems.Add($"{at}.soak: one soak per plan ({soakAt} has one already): a soak waits once, then checks every other gate again");
                }

                soakAt ??= at;
            }

            if (doc.Prometheus is { } p)
            {
                kinds.Add("prometheus");
                gate = Prometheus($"{at}.prometheus", p, problems);
            }

            if (doc.Http is { } h)
            {
                kinds.Add("http");
                gate = Http($"{at}.http", h, problems);
            }

            if (kinds.Count != 1)
            {
                problems.Add(kinds.Count == 0 ? $"{at}: names no gate ({Kinds})" : $"{at}: names {kinds.Count} gates ({string.Join(", ", kinds)}); give one per list item");
                continue;
            }

            if (gate is not null)
            {
                gates.Add(gate);
            }
        }

        return new GateList(gates);
    }

    private static NodesReadyGate? NodesReady(string at, NodesReadyGateDocument doc, List<string> problems)
    {
        GateScope? scope = doc.Scope switch
        {
            null or "targeted" => GateScope.Targeted,
            "cluster" => GateScope.Cluster,
            _ => null,
        };
        if (scope is null)
        {
            problems.Add($"{at}.scope: \"{BoundedText.Of(doc.Scope, 100)}\" is not targeted or cluster");
        }

        var timeout = doc.Timeout is null ? DefaultNodesReadyTimeout : Duration($"{at}.timeout", doc.Timeout, allowZero: false, problems);
        return scope is { } s && timeout is { } t ? new NodesReadyGate(s, t) : null;
    }

    private static PrometheusGate? Prometheus(string at, PrometheusGateDocument doc, List<string> problems)
    {
        var urlProblem = GateUrl.Problem(doc.Url, allowQuery: false, out var url);
        if (urlProblem is not null)
        {
            problems.Add($"{at}.url: {urlProblem}");
        }

        var queryProblem = PromQlText.Problem(doc.Query);
        if (queryProblem is not null)
        {
            problems.Add($"{at}.query: {queryProblem}");
        }

        var hold = doc.For is null ? TimeSpan.Zero : Duration($"{at}.for", doc.For, allowZero: true, problems);
        return urlProblem is null && queryProblem is null && hold is { } f ? new PrometheusGate(url, doc.Query!, f) : null;
    }

    private static HttpGate? Http(string at, HttpGateDocument doc, List<string> problems)
    {
        var urlProblem = GateUrl.Problem(doc.Url, allowQuery: true, out var url);
        if (urlProblem is not null)
        {
            problems.Add($"{at}.url: {urlProblem}");
        }

        var status = doc.ExpectStatus ?? 200;
        if (status is < 100 or > 599)
        {
            problems.Add($"{at}.expectStatus: {status} is not an HTTP status (100 to 599)");
            return null;
        }

        return urlProblem is null ? new HttpGate(url, status) : null;
    }

    private static TimeSpan? Duration(string at, string text, bool allowZero, List<string> problems)
    {
        if (allowZero && text.Trim() == "0s")
        {
            return TimeSpan.Zero;
        }

        if (DurationText.Problem(text, out var value) is { } problem)
        {
            problems.Add($"{at}: {BoundedText.Of(problem, 200)}{(allowZero ? " (0s for one evaluation)" : "")}");
            return null;
        }

        if (value < TimeSpan.FromSeconds(1) && !allowZero)
        {
            problems.Add($"{at}: \"{text}\" is less than 1s");
            return null;
        }

        if (value > MaxDuration)
        {
            problems.Add($"{at}: \"{text}\" is more than {DurationText.Format(MaxDuration)}");
            return null;
        }

        return value;
    }
}
