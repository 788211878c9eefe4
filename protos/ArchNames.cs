namespace Fleet.V1;

/// <summary>Kubernetes/Go names of <see cref="Arch"/> values, the only spelling Fleet shows or accepts.</summary>
public static class ArchNames
{
    public static string ToName(this Arch arch) => arch switch
    {
        Arch.Amd64 => "amd64",
        Arch.Arm64 => "arm64",
        Arch.Arm => "arm",
        _ => throw new ArgumentOutOfRangeException(nameof(arch), arch, "not a known architecture"),
    };

    public static bool TryParse(string? name, out Arch arch)
    {
        arch = name switch
        {
            "amd64" => Arch.Amd64,
            "arm64" => Arch.Arm64,
            "arm" => Arch.Arm,
            _ => Arch.Unspecified,
        };
        return arch != Arch.Unspecified;
    }

    public static bool IsKnown(this Arch arch) => arch is Arch.Amd64 or Arch.Arm64 or Arch.Arm;
}
