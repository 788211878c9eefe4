using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fleet.Ctl.Output;

/// <summary>JSON times in one shape for every command (docs/output.md): RFC 3339 in UTC with a Z, fractions only when there are some.</summary>
internal sealed class Rfc3339Converter : JsonConverter<DateTimeOffset>
{
    public const string Format = "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'";

    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        DateTimeOffset.Parse(reader.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToUniversalTime().ToString(Format, CultureInfo.InvariantCulture));
}
