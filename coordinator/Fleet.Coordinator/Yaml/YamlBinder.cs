using System.Globalization;
using System.Reflection;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;

namespace Fleet.Coordinator.Yaml;

/// <summary>
/// Binds a YAML document (plan, catalog) onto its document classes and reports every problem at once,
/// in Fleet's words: by path (`strategy.batchSize`), with the type expected, and a "did you mean" for
/// an unknown key. A value of the wrong shape is reported and left unset, so the rest is still bound
/// and the callers' own checks still run. No .NET type name reaches a message.
/// </summary>
public static class YamlBinder
{
    /// <summary>The bound document, or null when the text holds none (empty) or cannot be read as YAML (a problem says where).</summary>
    public static T? Bind<T>(string yaml, List<string> problems)
        where T : class
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException ex)
        {
            var message = (ex.InnerException?.Message ?? ex.Message).Replace("\n", " ", StringComparison.Ordinal);
            problems.Add($"line {ex.Start.Line}, column {ex.Start.Column}: {YamlSyntax.Describe(message)}");
            return null;
        }
        catch (InvalidOperationException)
        {
            // the YAML reader's own state error on some unclosed flows ({ or [ without its end): no position to give
            problems.Add("not valid YAML: a { or [ is not closed, or an alias refers to itself");
            return null;
        }
        catch (ArgumentException)
        {
            // the YAML reader's refusal of an event it cannot represent, e.g. a key with no text before its ':' (found by CatalogParserMutationTests)
            problems.Add("not valid YAML: a key has no name, or a ':' stands where no key can");
            return null;
        }

        if (stream.Documents.Count == 0 || IsNull(stream.Documents[0].RootNode))
        {
            return null;
        }

        if (stream.Documents.Count > 1)
        {
            problems.Add($"one YAML document expected, found {stream.Documents.Count} (separated by ---)");
        }

        return Bind(stream.Documents[0].RootNode, typeof(T), "", problems) as T;
    }

    private static object? Bind(YamlNode node, Type type, string path, List<string> problems)
    {
        if (IsNull(node))
        {
            return null;
        }

        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (target == typeof(string))
        {
            return node is YamlScalarNode s ? s.Value : Wrong(path, "a text value", node, problems);
        }

        if (target == typeof(int))
        {
            return node is YamlScalarNode s && int.TryParse(s.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
                ? n
                : Wrong(path, "a whole number", node, problems);
        }

        if (target == typeof(bool))
        {
            return node is YamlScalarNode s && s.Value?.ToLowerInvariant() is "true" or "false"
                ? s.Value.Equals("true", StringComparison.OrdinalIgnoreCase)
                : Wrong(path, "true or false", node, problems);
        }

        if (target.IsGenericType && target.GetGenericTypeDefinition() == typeof(List<>))
        {
            if (node is not YamlSequenceNode sequence)
            {
                return Wrong(path, "a list", node, problems);
            }

            var list = (System.Collections.IList)Activator.CreateInstance(target)!;
            var itemType = target.GetGenericArguments()[0];
            var complete = true;
            for (var i = 0; i < sequence.Children.Count; i++)
            {
                if (Bind(sequence.Children[i], itemType, $"{path}[{i}]", problems) is { } item)
                {
                    list.Add(item);
                    continue;
                }

                complete = false;
                if (IsNull(sequence.Children[i]))
                {
                    problems.Add($"{path}[{i}]: empty");
                }
            }

            // A list with a hole is not handed on: the parsers after the binder name items by their index, and
            // with an item left out every later index would name the wrong entry. Its problems are listed above.
            return complete ? list : null;
        }

        if (target.IsGenericType && target.GetGenericTypeDefinition() == typeof(Dictionary<,>))
        {
            if (node is not YamlMappingNode mapping)
            {
                return Wrong(path, "a mapping of names to values", node, problems);
            }

            var dictionary = (System.Collections.IDictionary)Activator.CreateInstance(target)!;
            var valueType = target.GetGenericArguments()[1];
            foreach (var (key, value) in mapping.Children)
            {
                if (key is not YamlScalarNode { Value: { } name })
                {
                    problems.Add($"{path}: a key must be a plain name");
                    continue;
                }

                var bound = Bind(value, valueType, Join(path, name), problems);
                if (bound is null && (valueType == typeof(string) || (valueType.IsValueType && Nullable.GetUnderlyingType(valueType) is null)))
                {
                    if (IsNull(value))
                    {
                        problems.Add($"{Join(path, name)}: empty");
                    }

                    continue;
                }

                dictionary[name] = bound;
            }

            return dictionary;
        }

        return BindObject(node, target, path, problems);
    }

    private static object? BindObject(YamlNode node, Type type, string path, List<string> problems)
    {
        if (node is not YamlMappingNode mapping)
        {
            return Wrong(path, "a mapping (key: value)", node, problems);
        }

        var members = Members(type);
        var instance = Activator.CreateInstance(type)!;
        foreach (var (key, value) in mapping.Children)
        {
            if (key is not YamlScalarNode { Value: { } name })
            {
                problems.Add($"{(path.Length == 0 ? "the document" : path)}: a key must be a plain name");
                continue;
            }

            if (!members.TryGetValue(name, out var property))
            {
                problems.Add($"{Join(path, name)}: unknown key (line {key.Start.Line}){Suggest(name, members.Keys)}");
                continue;
            }

            if (Bind(value, property.PropertyType, Join(path, name), problems) is { } bound)
            {
                property.SetValue(instance, bound);
            }
        }

        return instance;
    }

    /// <summary>The YAML keys of a document class: the alias a member declares, else its camelCase name.</summary>
    private static Dictionary<string, PropertyInfo> Members(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite)
            .ToDictionary(
                p => p.GetCustomAttribute<YamlMemberAttribute>()?.Alias ?? char.ToLowerInvariant(p.Name[0]) + p.Name[1..],
                StringComparer.Ordinal);

    private static string Suggest(string name, IEnumerable<string> known)
    {
        var keys = known.Order(StringComparer.Ordinal).ToArray();
        var best = keys
            .Select(k => (Key: k, Distance: Distance(name.ToLowerInvariant(), k.ToLowerInvariant())))
            .Where(k => k.Distance <= Math.Max(2, k.Key.Length / 3))
            .OrderBy(k => k.Distance)
            .FirstOrDefault();
        return best.Key is not null ? $"; did you mean {best.Key}?" : $" (known: {string.Join(", ", keys)})";
    }

    /// <summary>Levenshtein distance: how many single-character edits turn one key into another.</summary>
    private static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            previous = current;
        }

        return previous[b.Length];
    }

    private static object? Wrong(string path, string expected, YamlNode found, List<string> problems)
    {
        var what = found switch
        {
            YamlScalarNode s => $"\"{s.Value}\"",
            YamlSequenceNode => "a list",
            _ => "a mapping",
        };
        problems.Add($"{(path.Length == 0 ? "the document" : path)}: expected {expected}, found {what} (line {found.Start.Line})");
        return null;
    }

    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";
}
