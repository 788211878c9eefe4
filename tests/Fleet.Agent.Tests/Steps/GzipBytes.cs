using System.IO.Compression;

namespace Fleet.Agent.Tests.Steps;

/// <summary>Gzip in memory, for tests that mutate the tar inside a .tgz and wrap it again.</summary>
internal static class GzipBytes
{
    public static byte[] Decompress(byte[] tgz)
    {
        using var input = new GZipStream(new MemoryStream(tgz), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    public static byte[] Compress(byte[] tar)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(tar);
        }

        return buffer.ToArray();
    }
}
