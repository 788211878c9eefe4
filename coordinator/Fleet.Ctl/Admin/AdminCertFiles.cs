namespace Fleet.Ctl.Admin;

/// <summary>
/// Where `admin-cert create NAME --out DIR` writes. Checked before anything is asked of the
/// coordinator: a NAME that is not a plain file name, an --out that is a file, or an existing NAME.key or
/// NAME.crt is refused, so a second `create alice` never overwrites the first key.
/// </summary>
internal static class AdminCertFiles
{
    public static (string Key, string Certificate, string Ca) Paths(string admin, string folder)
    {
        if (admin.Length == 0 || admin.Length > 64 || admin.StartsWith('.') || admin.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '@')))
        {
            throw new UsageException($"admin-cert create: \"{admin}\" is not a name (letters, digits, - _ . @; at most 64; not starting with a dot)");
        }

        if (File.Exists(folder))
        {
            throw new UsageException($"--out: {folder} is a file, not a folder");
        }

        Directory.CreateDirectory(folder);

        var key = Path.Join(folder, $"{admin}.key");
        var certificate = Path.Join(folder, $"{admin}.crt");
        foreach (var existing in new[] { key, certificate }.Where(Path.Exists))
        {
            throw new UsageException($"{existing} exists: refusing to overwrite an admin key or certificate (remove it, or choose another --out)");
        }

        return (key, certificate, Path.Join(folder, "ca.crt"));
    }
}
