using Fleet.V1;

namespace Fleet.Agent.Facts;

/// <summary>Maps a raw machine name (uname -m, dpkg arch, Go arch) to the Kubernetes/Go architecture.</summary>
public static class ArchNormalizer
{
    public static Arch Normalize(string raw) => raw.Trim().ToLowerInvariant() switch
    {
        "x86_64" or "amd64" => Arch.Amd64,
        "aarch64" or "arm64" => Arch.Arm64,
        "armv7l" or "armv6l" or "armhf" or "arm" => Arch.Arm,
        _ => throw new NotSupportedException(
            $"unsupported machine architecture \"{raw}\": Fleet runs on x86_64/amd64, aarch64/arm64 and armv7l/armv6l/armhf/arm"),
    };
}
