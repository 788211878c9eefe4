namespace Fleet.Coordinator.Rollouts.Windows;

/// <summary>
/// Two windows of one plan may not overlap, in the same zone or across zones: every occurrence of every window is
/// laid out as real instants over <see cref="From"/>..<see cref="To"/> (every day of a whole year and a week more,
/// so each zone's changes of the clocks fall in it, and zones that change on different dates meet in every state
/// of their clocks) and any two occurrences of different windows that share an instant are refused, naming
/// the first moment they do. The span is fixed, not read from the clock: a stored plan parses the same way on any day.
/// </summary>
public static class WindowOverlaps
{
    public static readonly DateOnly From = new(2026, 1, 1);
    public static readonly DateOnly To = new(2027, 1, 7);

    public static IEnumerable<string> Problems(IReadOnlyList<(string At, MaintenanceWindow Window)> windows)
    {
        if (windows.Count < 2)
        {
            yield break;
        }

        var occurrences = new List<(DateTimeOffset Start, DateTimeOffset End, int Index)>();
        for (var i = 0; i < windows.Count; i++)
        {
            for (var day = From; day <= To; day = day.AddDays(1))
            {
                if (windows[i].Window.Occurrence(day) is { } o)
                {
                    occurrences.Add((o.Start, o.End, i));
                }
            }
        }

        occurrences.Sort((a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : a.Index.CompareTo(b.Index));
        var reported = new HashSet<(int, int)>();
        var active = new List<(DateTimeOffset Start, DateTimeOffset End, int Index)>();
        foreach (var o in occurrences)
        {
            active.RemoveAll(a => a.End <= o.Start);
            foreach (var a in active.Where(a => a.Index != o.Index))
            {
                var (first, second) = a.Index < o.Index ? (a.Index, o.Index) : (o.Index, a.Index);
                if (reported.Add((first, second)))
                {
                    var later = windows[second];
                    var earlier = windows[first];
                    yield return $"{later.At}: \"{later.Window.Text}\" overlaps {earlier.At} (\"{earlier.Window.Text}\"), first at {windows[o.Index].Window.Describe(o.Start)}; windows may not overlap";
                }
            }

            active.Add(o);
        }
    }
}
