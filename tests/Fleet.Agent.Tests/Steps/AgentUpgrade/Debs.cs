using System.Diagnostics;
using Fleet.Testing;

namespace Fleet.Agent.Tests.Steps.AgentUpgrade;

/// <summary>Real Debian packages built with `dpkg-deb --build` from a tiny control file (no agent in them: the tests check what dpkg-deb reads).</summary>
internal static class Debs
{
    public static byte[] Build(string package = "fleet-agent", string version = "0.9.1", string architecture = "amd64")
    {
        using var dir = new TempDir();
        var root = dir.Combine("root");
        Directory.CreateDirectory(Path.Join(root, "DEBIAN"));
        Directory.CreateDirectory(Path.Join(root, "usr/share/doc", package));
        File.WriteAllText(Path.Join(root, "usr/share/doc", package, "note"), $"{package} {version} {architecture} (a test package)\n");
        File.WriteAllText(Path.Join(root, "DEBIAN/control"), $"Package: {package}\nVersion: {version}\nArchitecture: {architecture}\nMaintainer: Fleet tests <tests@example.org>\nDescription: a test package\n");
        var deb = dir.Combine("out.deb");
        var start = new ProcessStartInfo("dpkg-deb") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--root-owner-group", "-Zgzip", "--build", root, deb })
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"dpkg-deb --build failed: {stderr}");
        }

        return File.ReadAllBytes(deb);
    }
}
