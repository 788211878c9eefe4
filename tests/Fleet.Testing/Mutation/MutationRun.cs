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

    /// <summary>
    /// Judges one mutated text input of a parser that answers (result, problems): a refusal must carry
    /// problems, none blank, and no result; an acceptance must pass the <paramref name="independent"/>
    /// check (null when it holds); any exception is a failure.
    /// </summary>
    public void Judge<T>(Mutator m, int index, string input, Func<string, (T? Result, IReadOnlyList<string> Problems)> parse, Func<T, string?> independent)
        where T : class
    {
        try
        {
            var (result, problems) = parse(input);
            if (result is null || problems.Count > 0)
            {
                if (result is not null || problems.Count == 0 || problems.Any(string.IsNullOrWhiteSpace))
                {
                    Fail(m.Seed, index, "refused without a problem, or with a result", input);
                }
                else
                {
                    Refuse();
                }
            }
            else if (independent(result) is { } wrong)
            {
                Fail(m.Seed, index, $"accepted, but {wrong}", input);
            }
            else
            {
                Accept();
            }
        }
        catch (Exception ex)
        {
            Fail(m.Seed, index, $"threw {ex.GetType().Name}: {ex.Message}", input);
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
