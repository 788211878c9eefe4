namespace Fleet.Testing;

/// <summary>A folder under /tmp (short, so unix socket paths fit in 108 bytes), removed on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir() => Path = Directory.CreateTempSubdirectory("fleet-").FullName;

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Join([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A process of the test may still hold a file open; /tmp is cleaned by the OS.
        }
    }
}
