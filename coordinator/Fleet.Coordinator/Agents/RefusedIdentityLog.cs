namespace Fleet.Coordinator.Agents;

/// <summary>
/// Decides whether a refusal of a client certificate is logged now: once per key (a node id, or the
/// subject of a certificate that names no node) per <see cref="RefusedIdentityLogOptions.Interval"/>,
/// counting the refusals it held back so the next line can say how many. It remembers at most
/// <see cref="RefusedIdentityLogOptions.MaxRemembered"/> keys: a new key past that forgets the key
/// logged longest ago (which is then logged again at its next refusal: more lines, never more memory).
/// </summary>
public sealed class RefusedIdentityLog(RefusedIdentityLogOptions options, TimeProvider time)
{
    private sealed class Entry(DateTimeOffset loggedAt)
    {
        public DateTimeOffset LoggedAt { get; set; } = loggedAt;

        public int Suppressed { get; set; }

        public LinkedListNode<string>? Node { get; set; }
    }

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    // Keys in the order they were last logged, oldest first: the one to forget when full.
    private readonly LinkedList<string> _byLoggedAt = new();

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>True when this refusal is to be logged; <paramref name="suppressed"/> is how many of the key's refusals were not logged since its last line.</summary>
    public bool ShouldLog(string key, out int suppressed)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            if (_entries.TryGetValue(key, out var entry))
            {
                if (now - entry.LoggedAt < options.Interval)
                {
                    entry.Suppressed++;
                    suppressed = 0;
                    return false;
                }

                suppressed = entry.Suppressed;
                entry.Suppressed = 0;
                entry.LoggedAt = now;
                _byLoggedAt.Remove(entry.Node!);
                _byLoggedAt.AddLast(entry.Node!);
                return true;
            }

            while (_entries.Count >= Math.Max(1, options.MaxRemembered) && _byLoggedAt.First is { } oldest)
            {
                _entries.Remove(oldest.Value);
                _byLoggedAt.RemoveFirst();
            }

            var added = new Entry(now);
            added.Node = _byLoggedAt.AddLast(key);
            _entries[key] = added;
            suppressed = 0;
            return true;
        }
    }
}
