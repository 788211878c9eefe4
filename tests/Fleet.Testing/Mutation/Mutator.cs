using System.Text;

namespace Fleet.Testing.Mutation;

/// <summary>
/// Small random mutations of bytes or text, driven by one seeded <see cref="Random"/>: a run with the same seed
/// makes the same inputs, so a failure reproduces from the seed and index it prints.
/// </summary>
public sealed class Mutator(int seed)
{
    private static readonly byte[] Interesting = [0x00, 0xFF, 0x7F, 0x80, (byte)'/', (byte)'.', (byte)'0', (byte)'7', (byte)' ', (byte)'\n', (byte)':', (byte)'-'];

    private static readonly string[] Tokens =
    [
        "..", "/", "../", "~", "null", "{}", "[]", "- ", ": ", "\n", "  ", "\"", "'", "&a", "*a", "<<: ", "!!binary ", "#", "%", "\t", "\0",
        "-1", "0", "99999999999999999999", "1e9", "v1.2.3", "v999.0.0", "exec", "command", "http://", "https://", "{version}", "{arch}", "{os}",
        "amd64", "arm", "arm64", "sha256", new string('a', 64), "ünïcode", "\u202e", new string('x', 300),
    ];

    public int Seed { get; } = seed;

    public Random Random { get; } = new(seed);

    /// <summary>1 to 4 byte-level mutations: flip a bit, set a byte, insert, delete, duplicate or truncate a span.</summary>
    public byte[] Bytes(byte[] input)
    {
        var data = new List<byte>(input);
        var count = Random.Next(1, 5);
        for (var i = 0; i < count; i++)
        {
            if (data.Count == 0)
            {
                data.Add((byte)Random.Next(256));
                continue;
            }

            var at = Random.Next(data.Count);
            switch (Random.Next(7))
            {
                case 0:
                    data[at] ^= (byte)(1 << Random.Next(8));
                    break;
                case 1:
                    data[at] = Interesting[Random.Next(Interesting.Length)];
                    break;
                case 2:
                    data[at] = (byte)Random.Next(256);
                    break;
                case 3:
                    data.InsertRange(at, Enumerable.Range(0, Random.Next(1, 9)).Select(_ => (byte)Random.Next(256)));
                    break;
                case 4:
                    data.RemoveRange(at, Math.Min(data.Count - at, Random.Next(1, 17)));
                    break;
                case 5:
                    var length = Math.Min(data.Count - at, Random.Next(1, 513));
                    data.InsertRange(Random.Next(data.Count), data.GetRange(at, length));
                    break;
                default:
                    data.RemoveRange(at, data.Count - at);
                    break;
            }
        }

        return [.. data];
    }

    /// <summary>1 to 3 text mutations: replace, insert or delete characters or tokens, duplicate, drop or swap lines.</summary>
    public string Text(string input)
    {
        var text = new StringBuilder(input);
        var count = Random.Next(1, 4);
        for (var i = 0; i < count; i++)
        {
            if (text.Length == 0)
            {
                text.Append(Token());
                continue;
            }

            var at = Random.Next(text.Length);
            switch (Random.Next(8))
            {
                case 0:
                    text[at] = (char)Random.Next(32, 127);
                    break;
                case 1:
                    text.Insert(at, Token());
                    break;
                case 2:
                    text.Remove(at, Math.Min(text.Length - at, Random.Next(1, 12)));
                    break;
                case 3:
                    text.Remove(at, Math.Min(text.Length - at, Random.Next(1, 6))).Insert(at, Token());
                    break;
                default:
                    text = new StringBuilder(Lines(text.ToString()));
                    break;
            }
        }

        return text.ToString();
    }

    private string Token() => Tokens[Random.Next(Tokens.Length)];

    private string Lines(string input)
    {
        var lines = input.Split('\n').ToList();
        var at = Random.Next(lines.Count);
        switch (Random.Next(4))
        {
            case 0:
                lines.Insert(at, lines[Random.Next(lines.Count)]);
                break;
            case 1:
                lines.RemoveAt(at);
                break;
            case 2:
                var other = Random.Next(lines.Count);
                (lines[at], lines[other]) = (lines[other], lines[at]);
                break;
            default:
                lines[at] = (Random.Next(2) == 0 ? "  " : "") + lines[at].TrimStart();
                break;
        }

        return string.Join('\n', lines);
    }
}
