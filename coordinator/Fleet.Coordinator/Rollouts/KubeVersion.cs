using System.Globalization;
using System.Text.RegularExpressions;

namespace Fleet.Coordinator.Rollouts;

/// <summary>A Kubernetes version "v1.12.5" (a suffix such as "-rc.1" or "+k3s1" is kept for display, ignored in order).</summary>
public readonly partial record struct KubeVersion(int Major, int Minor, int Patch, string Text) : IComparable<KubeVersion>
{
    public static bool TryParse(string? text, out KubeVersion version)
    {
        version = default;
        var m = text is null ? null : Pattern().Match(text.Trim());
        if (m is null || !m.Success)
        {
            return false;
        }

        version = new KubeVersion(Int(m.Groups[1].Value), Int(m.Groups[2].Value), Int(m.Groups[3].Value), text!.Trim());
        return true;
    }

    public static KubeVersion Parse(string text) =>
        TryParse(text, out var v) ? v : throw new FormatException($"\"{text}\" is not a version like v1.12.5");

    /// <summary>Minor versions between the two (positive when this one is newer), across majors too.</summary>
    public int MinorsAfter(KubeVersion other) => ((Major - other.Major) * 1000) + Minor - other.Minor;

    public int CompareTo(KubeVersion other) =>
        Major != other.Major ? Major.CompareTo(other.Major) : Minor != other.Minor ? Minor.CompareTo(other.Minor) : Patch.CompareTo(other.Patch);

    public static bool operator <(KubeVersion a, KubeVersion b) => a.CompareTo(b) < 0;

    public static bool operator >(KubeVersion a, KubeVersion b) => a.CompareTo(b) > 0;

    public static bool operator <=(KubeVersion a, KubeVersion b) => a.CompareTo(b) <= 0;

    public static bool operator >=(KubeVersion a, KubeVersion b) => a.CompareTo(b) >= 0;

    /// <summary>Same major, minor and patch (suffixes ignored).</summary>
    public bool SameRelease(KubeVersion other) => CompareTo(other) == 0;

    public override string ToString() => $"v{Major}.{Minor}.{Patch}";

    private static int Int(string s) => int.Parse(s, NumberStyles.None, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^v?([0-9]{1,4})\.([0-9]{1,4})\.([0-9]{1,4})([-+][0-9A-Za-z.+-]*)?$")]
    private static partial Regex Pattern();
}
