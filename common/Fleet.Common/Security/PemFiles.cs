using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Fleet.Security;

/// <summary>
/// Keys and certificates on disk, as PEM. Written to a temporary file created with its final mode,
/// flushed, then renamed: never half-written, a key never readable by others even for a moment.
/// </summary>
public static class PemFiles
{
    public const UnixFileMode PrivateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public const UnixFileMode PublicMode = PrivateMode | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    public static void WriteKey(string path, ECDsa key) => Write(path, key.ExportPkcs8PrivateKeyPem(), PrivateMode);

    public static void WriteCertificate(string path, X509Certificate2 certificate) => Write(path, certificate.ExportCertificatePem(), PublicMode);

    public static ECDsa ReadKey(string path)
    {
        var key = ECDsa.Create();
        key.ImportFromPem(File.ReadAllText(path));
        return key;
    }

    public static X509Certificate2 ReadCertificate(string path) => X509Certificate2.CreateFromPem(File.ReadAllText(path));

    /// <summary>True when group or others may read or write the file.</summary>
    public static bool IsLooserThanPrivate(string path) => (File.GetUnixFileMode(path) & ~(PrivateMode | UnixFileMode.UserExecute)) != 0;

    private static void Write(string path, string pem, UnixFileMode mode)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temp = path + ".tmp";
        File.Delete(temp);
        using (var stream = new FileStream(temp, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = mode }))
        {
            stream.Write(System.Text.Encoding.ASCII.GetBytes(pem + "\n"));
            stream.Flush(flushToDisk: true);
        }

        File.SetUnixFileMode(temp, mode); // the umask may have taken bits away; never adds any
        File.Move(temp, path, overwrite: true);
    }
}
