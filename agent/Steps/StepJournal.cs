using System.Text.Json;
using System.Text.Json.Serialization;
using Fleet.Agent.Hosting;
using Fleet.Agent.Steps.Previous;
using Fleet.V1;

namespace Fleet.Agent.Steps;

/// <summary>
/// The ids of finished steps and their results, one JSON line each in STATE/steps.journal, flushed
/// to disk before the result is reported. A step re-sent after a reconnect is answered from here.
/// A torn last line (power loss mid-write) is ignored; that step simply runs again, idempotently.
/// The same file holds the files Fleet replaced and restored (<see cref="ReplaceRecord"/>,
/// <see cref="RestoreRecord"/>, indexed in <see cref="Replaces"/>): one file, one writer, one order, so
/// a replace journaled before its rename and the step result after it can never be seen out of order
/// after a crash. Those lines carry no "id": an agent of an earlier version reads them as nothing and
/// skips them; this one keeps them.
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
                switch (TryParse(line))
                {
                    case { Replaced: { } replaced }:
                        Replaces.Apply(replaced);
                        break;
                    case { Restored: { } restored }:
                        Replaces.Apply(restored);
                        break;
                    case { Id.Length: > 0 } e:
                        _finished[e.Id] = new StepResult { Id = e.Id, Outcome = (StepOutcome)(e.Outcome ?? 0), Reason = e.Reason ?? "", RolledBack = e.RolledBack ?? false };
                        break;
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

    /// <summary>The files replaced and restored, as journaled.</summary>
    public ReplaceIndex Replaces { get; } = new();

    public void Record(StepResult result)
    {
        lock (_gate)
        {
            Append(new Entry(result.Id, (int)result.Outcome, result.Reason, RolledBack: result.RolledBack ? true : null));
            _finished[result.Id] = result.Clone();
        }
    }

    /// <summary>A replace about to happen: on disk before this returns, so the caller may rename next.</summary>
    public void Record(ReplaceRecord replaced)
    {
        lock (_gate)
        {
            Append(new Entry(null, null, null, Replaced: replaced));
            Replaces.Apply(replaced);
        }
    }

    /// <summary>A file put back: on disk before this returns.</summary>
    public void Record(RestoreRecord restored)
    {
        lock (_gate)
        {
            Append(new Entry(null, null, null, Restored: restored));
            Replaces.Apply(restored);
        }
    }

    private void Append(Entry entry)
    {
        var line = JsonSerializer.Serialize(entry, JournalJson.Default.Entry) + "\n";
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        using var file = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.Read);
        file.Write(System.Text.Encoding.UTF8.GetBytes(_endsMidLine ? "\n" + line : line));
        file.Flush(flushToDisk: true);
        _endsMidLine = false;
    }

    private static Entry? TryParse(string line)
    {
        try
        {
            return JsonSerializer.Deserialize(line, JournalJson.Default.Entry) switch
            {
                { Replaced: { } r } e when Valid(r) => e,
                { Restored: { Rollout: not null, Path: not null } } e => e,
                { Id.Length: > 0, Replaced: null, Restored: null } e => e,
                _ => null,
            };
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // A line edited by hand may lack fields: such a record is no record.
    private static bool Valid(ReplaceRecord r) =>
        r is { Rollout: not null, Path: not null, PreviousSha256: not null, PreviousVersion: not null, Sha256: not null, Component: not null, Version: not null, StepId: not null };

    /// <summary>
    /// One journal line: a step result (id, outcome, reason, and rolledBack only when true: a line of an
    /// earlier agent without it reads as false), or a replace, or a restore.
    /// </summary>
    internal sealed record Entry(string? Id, int? Outcome, string? Reason, ReplaceRecord? Replaced = null, RestoreRecord? Restored = null, bool? RolledBack = null);
}

[JsonSerializable(typeof(StepJournal.Entry))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class JournalJson : JsonSerializerContext;
