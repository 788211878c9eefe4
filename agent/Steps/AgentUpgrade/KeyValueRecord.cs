using System.Text;

namespace Fleet.Agent.Steps.AgentUpgrade;

/// <summary>
/// The format of the upgrade's records (pending, outcome), shared with the watchdog script, which reads
/// them without sourcing them: one "key=value" line each, keys known in advance, no duplicates, every
/// line ended by a newline (a record without its last newline is torn). Values hold no newline.
/// </summary>
public static class KeyValueRecord
{
    public const int MaxBytes = 16 * 1024;

    /// <summary>The lines in order; throws <see cref="InvalidDataException"/> naming the first problem.</summary>
    public static IReadOnlyDictionary<string, string> Parse(string text, IReadOnlyCollection<string> keys)
    {
        if (text.Length == 0)
        {
            throw new InvalidDataException("it is empty");
        }

        if (text.Length > MaxBytes)
        {
            throw new InvalidDataException($"it is {text.Length} characters long, more than {MaxBytes}");
        }

        if (!text.EndsWith('\n'))
        {
            throw new InvalidDataException("its last line has no newline (torn)");
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var number = 0;
        foreach (var line in text[..^1].Split('\n'))
        {
            number++;
            var eq = line.IndexOf('=');
            if (eq <= 0)
            {
                throw new InvalidDataException($"line {number} is not key=value");
            }

            var key = line[..eq];
            if (!keys.Contains(key))
            {
                throw new InvalidDataException($"line {number}: unknown key {AgentVersionText.Show(key)}");
            }

            if (!values.TryAdd(key, line[(eq + 1)..]))
            {
                throw new InvalidDataException($"line {number}: {key} is given twice");
            }

            if (line.Any(char.IsControl))
            {
                throw new InvalidDataException($"line {number}: {key} holds a control character");
            }
        }

        return values;
    }

    public static string Format(IEnumerable<(string Key, string Value)> values)
    {
        var text = new StringBuilder();
        foreach (var (key, value) in values)
        {
            if (value.Any(char.IsControl))
            {
                throw new ArgumentException($"{key}: a record value holds no control character", nameof(values));
            }

            text.Append(key).Append('=').Append(value).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>A required value, or a message naming the key.</summary>
    public static string Required(IReadOnlyDictionary<string, string> values, string key) =>
        values.TryGetValue(key, out var value) ? value : throw new InvalidDataException($"{key} is missing");
}
