using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fleet.Agent.Configuration;

/// <summary>
/// Takes the join token out of the settings file once the node is enrolled: an enrolled node never
/// needs it again, and a token left on disk is one more copy of a secret. The file is rewritten
/// (same settings, same mode, comments not kept) through a temporary file and a rename, so a crash
/// leaves either the old file or the new one.
/// </summary>
public static class ConfigFileToken
{
    /// <summary>Removes the "token" key; returns false when the file holds none.</summary>
    public static bool Remove(string path)
    {
        var options = new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };
        if (JsonNode.Parse(File.ReadAllBytes(path), documentOptions: options) is not JsonObject settings || !settings.Remove("token"))
        {
            return false;
        }

        var mode = File.GetUnixFileMode(path);
        var temp = Path.Join(Path.GetDirectoryName(Path.GetFullPath(path)), $".{Path.GetFileName(path)}.fleet-tmp");
        File.Delete(temp);
        using (var file = new FileStream(temp, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = mode }))
        {
            using (var writer = new Utf8JsonWriter(file, new JsonWriterOptions { Indented = true }))
            {
                settings.WriteTo(writer);
            }

            file.WriteByte((byte)'\n');
            file.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
        return true;
    }
}
