using System.Globalization;

namespace Fleet.Ctl.Output;

/// <summary>Times as every fleetctl output shows them: RFC 3339 in UTC, to the second ("2026-11-29T16:31:43Z").</summary>
internal static class Timestamps
{
    public static string Format(DateTimeOffset? at) =>
        at is { } t ? t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "-";
}
