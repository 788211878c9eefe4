using System.Collections;

namespace Fleet.Coordinator.Rollouts.Gates;

/// <summary>A plan's gates with value equality (item by item), so a <see cref="RolloutStrategy"/> parsed twice from the
/// same YAML is equal to itself: a stored plan must parse back to the plan that was applied.</summary>
public sealed class GateList(IEnumerable<Gate> gates) : IReadOnlyList<Gate>, IEquatable<GateList>
{
    private readonly Gate[] _gates = [.. gates];

    public static readonly GateList Empty = new([]);

    public int Count => _gates.Length;

    public Gate this[int index] => _gates[index];

    public IEnumerator<Gate> GetEnumerator() => ((IEnumerable<Gate>)_gates).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public bool Equals(GateList? other) => other is not null && _gates.SequenceEqual(other._gates);

    public override bool Equals(object? obj) => Equals(obj as GateList);

    public override int GetHashCode() => _gates.Aggregate(_gates.Length, (h, g) => HashCode.Combine(h, g));

    public override string ToString() => $"[{string.Join("; ", _gates.Select(g => g.Describe()))}]";
}
