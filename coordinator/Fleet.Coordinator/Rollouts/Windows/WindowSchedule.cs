namespace Fleet.Coordinator.Rollouts.Windows;

/// <summary>When a plan's maintenance windows are open: now, and next. Pure functions of the instant given.</summary>
public static class WindowSchedule
{
    /// <summary>How far ahead an opening is looked for: two weeks covers every weekly window, even one that a change of the
    /// clocks empties once.</summary>
    private const int DaysAhead = 15;

    /// <summary>The window open at <paramref name="now"/>, or null when none is.</summary>
    public static MaintenanceWindow? OpenAt(IReadOnlyList<MaintenanceWindow> windows, DateTimeOffset now)
    {
        foreach (var window in windows)
        {
            var today = window.LocalDate(now);
            for (var day = today.AddDays(-2); day <= today; day = day.AddDays(1))
            {
                if (window.Occurrence(day) is { } o && o.Start <= now && now < o.End)
                {
                    return window;
                }
            }
        }

        return null;
    }

    /// <summary>The earliest opening of a window after <paramref name="now"/> (an occurrence that starts later than now).</summary>
    public static (DateTimeOffset At, MaintenanceWindow Window) NextOpening(IReadOnlyList<MaintenanceWindow> windows, DateTimeOffset now)
    {
        (DateTimeOffset At, MaintenanceWindow Window)? best = null;
        foreach (var window in windows)
        {
            var today = window.LocalDate(now);
            for (var day = today.AddDays(-1); day <= today.AddDays(DaysAhead); day = day.AddDays(1))
            {
                if (window.Occurrence(day) is { } o && o.Start > now)
                {
                    if (best is null || o.Start < best.Value.At)
                    {
                        best = (o.Start, window);
                    }

                    break; // later days of this window open later still
                }
            }
        }

        return best ?? throw new InvalidOperationException($"no maintenance window opens within {DaysAhead} days of {now:O}");
    }
}
