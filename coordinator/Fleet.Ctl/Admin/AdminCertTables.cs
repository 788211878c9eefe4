using Fleet.Ctl.Output;

namespace Fleet.Ctl.Admin;

/// <summary>`admin-cert list`: NAME, SERIAL, STATUS, EXPIRES; wide adds NOT BEFORE, NOT AFTER, REVOKED AT and the SHA-256 fingerprint.</summary>
internal static class AdminCertTables
{
    public static TableWriter List(IEnumerable<AdminCertView> views, bool wide, DateTimeOffset now)
    {
        Column[] columns = wide
            ? [new("NAME"), new("SERIAL"), new("STATUS"), new("EXPIRES"), new("NOT BEFORE"), new("NOT AFTER"), new("REVOKED AT"), new("FINGERPRINT")]
            : [new("NAME"), new("SERIAL"), new("STATUS"), new("EXPIRES")];
        var table = new TableWriter(columns);
        foreach (var v in views)
        {
            var expires = v.NotAfter > now ? $"in {Ago.Format(v.NotAfter - now)}" : $"{Ago.Format(now - v.NotAfter)} ago";
            Cell[] cells = wide
                ? [v.Name, v.Serial, Cell.Status(v.Status), expires, Timestamps.Format(v.NotBefore), Timestamps.Format(v.NotAfter), Timestamps.Format(v.RevokedAt), Cell.OrDash(v.Sha256)]
                : [v.Name, v.Serial, Cell.Status(v.Status), expires];
            table.AddRow(cells);
        }

        return table;
    }
}
