using Fleet.Ctl.Output;

namespace Fleet.Ctl.Tokens;

/// <summary>`token list`: ID, STATUS, USES, EXPIRES, LABELS; wide adds CREATED and EXPIRES AT.</summary>
internal static class TokenTables
{
    public static TableWriter List(IEnumerable<TokenView> views, bool wide, DateTimeOffset now)
    {
        Column[] columns = wide
            ? [new("ID"), new("STATUS"), new("USES"), new("EXPIRES"), new("CREATED"), new("EXPIRES AT"), new("LABELS", Free: true)]
            : [new("ID"), new("STATUS"), new("USES"), new("EXPIRES"), new("LABELS", Free: true)];
        var table = new TableWriter(columns);
        foreach (var v in views)
        {
            var expires = v.ExpiresAt > now ? $"in {Ago.Format(v.ExpiresAt - now)}" : $"{Ago.Format(now - v.ExpiresAt)} ago";
            var labels = v.Labels.Count == 0 ? "-" : string.Join(",", v.Labels.Select(l => $"{l.Key}={l.Value}"));
            Cell[] cells = wide
                ? [v.Id, Cell.Status(v.Status), $"{v.Uses}/{v.UsesAllowed}", expires, Timestamps.Format(v.CreatedAt), Timestamps.Format(v.ExpiresAt), labels]
                : [v.Id, Cell.Status(v.Status), $"{v.Uses}/{v.UsesAllowed}", expires, labels];
            table.AddRow(cells);
        }

        return table;
    }
}
