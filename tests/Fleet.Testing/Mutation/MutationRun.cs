using System.Text;

namespace Fleet.Testing.Mutation;

/// <summary>
/// A bounded random-mutation run of one parser: for each seed, <c>count</c> mutated inputs. Each outcome is
/// refused (the parser's documented error), accepted (then the caller's independent check must hold), or a
/// failure (any other exception, or an accepted input the independent check rejects), recorded with its seed
/// and index so it reproduces. <see cref="Summary"/> is the line the security note's table is made of.
/// </summary>
public sealed class MutationRun(string parser)
{
    /// <summary>The seeds every run uses; fixed so CI runs the same inputs each time.</summary>
    public static readonly int[] Seeds = [12, 4711, 90210, 31337];

    private readonly List<string> _failures = [];

    public int Tried { get; private set; }

    public int Refused { get; private set; }

    public int Accepted { get; private set; }

    public IReadOnlyList<string> Failures => _failures;

    public string Summary => $"{parser}: {Tried} inputs tried, {Refused} refused, {Accepted} accepted, {_failures.Count} failures (seeds {string.Join(", ", Seeds)})";

    /// <summary>
    /// Runs <paramref name="attempt"/> for each seed, <paramref name="perSeed"/> times, on a worker thread bounded by
    /// <paramref name="budget"/>: an input that hangs the parser fails the run naming its seed and index.
    /// </summary>
    public async Task DriveAsync(int perSeed, Func<Mutator, int, Task> attempt, TimeSpan budget)
    {
        var current = "";
        var work = Task.Run(async () =>
        {
            foreach (var seed in Seeds)
            {
                var mutator = new Mutator(seed);
                for (var i = 0; i < perSeed; i++)
                {
                    Volatile.Write(ref current, $"seed {seed} #{i}");
                    await attempt(mutator, i);
                }
            }
        });
        try
        {
            await work.WaitAsync(budget);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{parser}: no answer within {budget.TotalSeconds:0} s at {Volatile.Read(ref current)} (a hang; rerun that seed)");
        }
    }

    public void Refuse() => (Tried, Refused) = (Tried + 1, Refused + 1);

    public void Accept() => (Tried, Accepted) = (Tried + 1, Accepted + 1);

    public void Fail(int seed, int index, string what, string input)
    {
        Tried++;
        if (_failures.Count < 20)
        {
            _failures.Add($"seed {seed} #{index}: {what}\n  input: {Show(input)}");
        }
    }

    /// <summary>The summary and every recorded failure (seed, index, input): the message of a failed run.</summary>
    public string Report => $"{Summary}\n{string.Join("\n", _failures)}";

    public static string Show(string input)
    {
        var text = input.Length > 600 ? input[..600] + "…" : input;
        var shown = new StringBuilder();
        foreach (var c in text)
        {
            shown.Append(c is '\n' ? "\\n" : char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString());
        }

        return shown.ToString();
    }

    public static string Show(byte[] input) => Convert.ToHexString(input.AsSpan(0, Math.Min(input.Length, 300))) + (input.Length > 300 ? "…" : "");
}
