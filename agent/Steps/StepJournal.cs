using System.Text.Json;
using System.Text.Json.Serialization;
using Fleet.Agent.Hosting;
using Fleet.V1;

namespace Fleet.Agent.Steps;

/// <summary>
/// The ids of finished steps and their results, one JSON line each in STATE/steps.journal, flushed
/// to disk before the result is reported. A step re-sent after a reconnect is answered from here.
/// A torn last line (power loss mid-write) is ignored; that step simply runs again, idempotently.
/// </summary>
public sealed class StepJournal
{
    private readonly string _path;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, StepResult> _finished = new(StringComparer.Ordinal);
    private bool _endsMidLine; // a torn last line: the next record must start on a line of its own

    public StepJournal(HostPaths paths)
    {
        _path = Path.Join(paths.StateDir, "steps.journal");
        if (File.Exists(_path))
        {
            foreach (var line in File.ReadLines(_path))
            {
                if (TryParse(line) is { } result)
                {
                    _finished[result.Id] = result;
                }
            }

            using var file = File.OpenRead(_path);
            if (file.Length > 0)
            {
                file.Seek(-1, SeekOrigin.End);
                _endsMidLine = file.ReadByte() != '\n';
            }
        }
    }

    public bool TryGet(string id, out StepResult result)
    {
        lock (_gate)
        {
            if (_finished.TryGetValue(id, out var found))
            {
                result = found.Clone();
                result.FromJournal = true;
                return true;
            }
        }

        AfterMiss?.Invoke(id);
        result = null!;
        return false;
    }

    /// <summary>For tests: called after a lookup found nothing, outside the journal's lock.</summary>
    internal Action<string>? AfterMiss { get; set; }

    /// <summary>The most recent finished ids, for Hello.</summary>
    public IReadOnlyList<string> RecentIds(int max)
    {
        lock (_gate)
        {
            return _finished.Keys.TakeLast(max).ToArray();
        }
    }

    public void Record(StepResult result)
    {
        var line = JsonSerializer.Serialize(new Entry(result.Id, (int)result.Outcome, result.Reason), JournalJson.Default.Entry) + "\n";
        lock (_gate)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
            using (var file = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.Read))
            {
                file.Write(System.Text.Encoding.UTF8.GetBytes(_endsMidLine ? "\n" + line : line));
                file.Flush(flushToDisk: true);
                _endsMidLine = false;
            }

            _finished[result.Id] = result.Clone();
        }
    }

    private static StepResult? TryParse(string line)
    {
        try
        {
            return JsonSerializer.Deserialize(line, JournalJson.Default.Entry) is { Id.Length: > 0 } e
                ? new StepResult { Id = e.Id, Outcome = (StepOutcome)e.Outcome, Reason = e.Reason ?? "" }
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    internal sealed record Entry(string Id, int Outcome, string? Reason);
}

[JsonSerializable(typeof(StepJournal.Entry))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class JournalJson : JsonSerializerContext;
