using Sluice.Pipelines.Domains.Rules;
using Sluice.Streaming.State;
using Sluice.Streaming.Windows;
using static Sluice.Pipelines.Domains.DomainFileErrors;

namespace Sluice.Pipelines.Domains.Topology;

/// <summary>The running figures of one aggregate over one window (or pane, or session) and group.</summary>
/// <remarks>Its shape is the aggregate's (<see cref="CompiledAggregate{T}"/>): one slot per counter, per running number,
/// per set of distinct values, per count of each value, each measure owning the slots it was given when compiled.</remarks>
public sealed class DomainAccumulator
{
    internal DomainAccumulator(int longs, int doubles, int sets, int counts)
    {
        Longs = longs == 0 ? [] : new long[longs];
        Doubles = doubles == 0 ? [] : new double[doubles];
        Sets = sets == 0 ? [] : new HashSet<string>[sets];
        for (var i = 0; i < Sets.Length; i++) Sets[i] = new HashSet<string>(StringComparer.Ordinal);
        Counts = counts == 0 ? [] : new Dictionary<string, long>[counts];
        for (var i = 0; i < Counts.Length; i++) Counts[i] = new Dictionary<string, long>(StringComparer.Ordinal);
    }

    /// <summary>Records added.</summary>
    public long Records { get; internal set; }

    internal long[] Longs { get; }

    internal double[] Doubles { get; }

    internal HashSet<string>[] Sets { get; }

    internal Dictionary<string, long>[] Counts { get; }
}

/// <summary>One measure compiled against the schema: it owns slots of the accumulator and writes its rows.</summary>
/// <remarks>Built once per topology; <see cref="Add"/> runs per record and reads fields through delegates resolved at compile.</remarks>
internal abstract class Measure<T>(MeasureSpec spec)
{
    public MeasureSpec Spec { get; } = spec;

    public abstract void Add(DomainAccumulator acc, T record);

    public abstract void Merge(DomainAccumulator target, DomainAccumulator source);

    /// <summary>Calls <paramref name="row"/> with each (metric, value) the measure has for <paramref name="acc"/>.</summary>
    public abstract void Emit(DomainAccumulator acc, Action<string, double> row);

    /// <summary>Calls <paramref name="item"/> with each (metric, field, value of the field, figure) row of a measure whose
    /// rows are per value of a field (top-k); nothing for the others.</summary>
    public virtual void EmitItems(DomainAccumulator acc, Action<string, string, string, double> item)
    {
    }

    /// <summary>What it computes, in words, for <c>domain check</c>.</summary>
    public abstract string Text { get; }

    /// <summary>Records.</summary>
    public sealed class Count(MeasureSpec spec) : Measure<T>(spec)
    {
        public override string Text => $"{Spec.Name} (count)";

        public override void Add(DomainAccumulator acc, T record)
        {
        }

        public override void Merge(DomainAccumulator target, DomainAccumulator source)
        {
        }

        public override void Emit(DomainAccumulator acc, Action<string, double> row) => row(Spec.Name, acc.Records);
    }

    /// <summary>Records for which every clause holds.</summary>
    public sealed class CountWhere(MeasureSpec spec, RuleCondition<T> condition, int slot) : Measure<T>(spec)
    {
        public override string Text => $"{Spec.Name} (count where {condition.Text})";

        public override void Add(DomainAccumulator acc, T record)
        {
            if (condition.Holds(record)) acc.Longs[slot]++;
        }

        public override void Merge(DomainAccumulator target, DomainAccumulator source) => target.Longs[slot] += source.Longs[slot];

        public override void Emit(DomainAccumulator acc, Action<string, double> row) => row(Spec.Name, acc.Longs[slot]);
    }

    /// <summary>Sum (and count) of a number field's values: the sum, or the mean with its sum and count.</summary>
    public sealed class Sum(MeasureSpec spec, Func<T, double?> value, int sum, int count, bool mean) : Measure<T>(spec)
    {
        public override string Text => mean
            ? $"{Spec.Name} (mean of {Spec.Field}, with {Spec.Name}_sum and {Spec.Name}_count)"
            : $"{Spec.Name} (sum of {Spec.Field})";

        public override void Add(DomainAccumulator acc, T record)
        {
            if (value(record) is not { } v) return;
            acc.Doubles[sum] += v;
            acc.Longs[count]++;
        }

        public override void Merge(DomainAccumulator target, DomainAccumulator source)
        {
            target.Doubles[sum] += source.Doubles[sum];
            target.Longs[count] += source.Longs[count];
        }

        // A mean is emitted with its sum and count so that readers summing partitions recompute it from those, never
        // averaging the partitions' means; a window with no value has no mean, but its sum and count (0) still add up.
        public override void Emit(DomainAccumulator acc, Action<string, double> row)
        {
            var n = acc.Longs[count];
            if (!mean)
            {
                row(Spec.Name, acc.Doubles[sum]);
                return;
            }
            if (n > 0) row(Spec.Name, acc.Doubles[sum] / n);
            row(Spec.Name + "_sum", acc.Doubles[sum]);
            row(Spec.Name + "_count", n);
        }
    }

    /// <summary>The smallest or largest value of a number or timestamp field; no row when the window has none.</summary>
    public sealed class Extreme(MeasureSpec spec, Func<T, double?> value, int slot, int seen, bool max) : Measure<T>(spec)
    {
        public override string Text => $"{Spec.Name} ({(max ? "max" : "min")} of {Spec.Field})";

        public override void Add(DomainAccumulator acc, T record)
        {
            if (value(record) is { } v) Take(acc, v, 1);
        }

        public override void Merge(DomainAccumulator target, DomainAccumulator source)
        {
            if (source.Longs[seen] > 0) Take(target, source.Doubles[slot], source.Longs[seen]);
        }

        public override void Emit(DomainAccumulator acc, Action<string, double> row)
        {
            if (acc.Longs[seen] > 0) row(Spec.Name, acc.Doubles[slot]);
        }

        private void Take(DomainAccumulator acc, double v, long values)
        {
            ref var current = ref acc.Doubles[slot];
            if (acc.Longs[seen] == 0 || (max ? v > current : v < current)) current = v;
            acc.Longs[seen] += values;
        }
    }

    /// <summary>One earlier measure's value over another's; no row when the denominator is 0 or either has no row.</summary>
    /// <remarks>Its parts are rows of their own, so readers summing partitions divide the summed parts (never average the
    /// partitions' ratios). Computed when the window's rows are written, from the values its parts wrote.</remarks>
    public sealed class Ratio(MeasureSpec spec, int numerator, int denominator) : Measure<T>(spec)
    {
        public override string Text => $"{Spec.Name} ({Spec.Parts!.Value.Numerator} / {Spec.Parts.Value.Denominator}; readers summing partitions divide the summed parts)";

        public override void Add(DomainAccumulator acc, T record)
        {
        }

        public override void Merge(DomainAccumulator target, DomainAccumulator source)
        {
        }

        public override void Emit(DomainAccumulator acc, Action<string, double> row)
        {
        }

        /// <summary>Writes the ratio of the values the parts wrote (by measure index).</summary>
        public void Emit(double?[] values, Action<string, double> row)
        {
            if (values[numerator] is { } n && values[denominator] is { } d && d != 0) row(Spec.Name, n / d);
        }
    }

    /// <summary>The k most frequent values of a field and how often each came (ties by value, ordinal); absent values are not counted.</summary>
    public sealed class TopK(MeasureSpec spec, Func<T, string?> value, int slot) : Measure<T>(spec)
    {
        public override string Text => $"{Spec.Name} (top {Spec.K} {Spec.Field} by records; per partition, so a value's counts add up across partitions only where it is in each one's top)";

        public override void Add(DomainAccumulator acc, T record)
        {
            if (value(record) is not { } v) return;
            ref var n = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(acc.Counts[slot], v, out _);
            n++;
        }

        public override void Merge(DomainAccumulator target, DomainAccumulator source)
        {
            foreach (var (v, n) in source.Counts[slot])
            {
                ref var t = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(target.Counts[slot], v, out _);
                t += n;
            }
        }

        public override void Emit(DomainAccumulator acc, Action<string, double> row)
        {
        }

        public override void EmitItems(DomainAccumulator acc, Action<string, string, string, double> item)
        {
            foreach (var (v, n) in acc.Counts[slot].OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Take(Spec.K))
                item(Spec.Name, Spec.Field!, v, n);
        }
    }

    /// <summary>Distinct values of a field (absent values are not counted).</summary>
    public sealed class Distinct(MeasureSpec spec, Func<T, string?> value, int set, bool isKey) : Measure<T>(spec)
    {
        public override string Text => $"{Spec.Name} (distinct {Spec.Field}; " + (isKey
            ? "additive across partitions: it is the key, so each value lives in one partition)"
            : "not additive across partitions: a value can be in several)");

        public override void Add(DomainAccumulator acc, T record)
        {
            if (value(record) is { } v) acc.Sets[set].Add(v);
        }

        public override void Merge(DomainAccumulator target, DomainAccumulator source) => target.Sets[set].UnionWith(source.Sets[set]);

        public override void Emit(DomainAccumulator acc, Action<string, double> row) => row(Spec.Name, acc.Sets[set].Count);
    }
}

/// <summary>An entry of a domain file's <c>aggregates</c> compiled against the fields of <typeparamref name="T"/>: windows, group key and measures.</summary>
public sealed class CompiledAggregate<T>
{
    private readonly Measure<T>[] _measures;
    private readonly bool _ratios;
    // Slots handed out to the measures while they compile: the accumulator's shape.
    private int _longs, _doubles, _sets, _counts;

    /// <summary>Compiles <paramref name="spec"/>; an error names the file, the line and the key.</summary>
    public CompiledAggregate(AggregateSpec spec, AggregateFields<T> schema)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(schema);
        Spec = spec;
        var domain = schema.Domain;
        var groupBy = new List<Func<T, string?>>();
        for (var i = 0; i < spec.GroupBy.Count; i++)
        {
            var name = spec.GroupBy[i];
            var index = FieldIndex(schema, name, $"{spec.Key}.groupBy[{i}]", spec.Line);
            var role = schema.Roles[index];
            if (role != FieldRole.Dimension)
                Fail(domain.Source, spec.Line, $"{spec.Key}.groupBy[{i}]", $"{name} is a {FieldSpec.NameOf(role)}; an aggregate groups by dimensions (role: dimension)");
            groupBy.Add(schema.TextOf(index));
        }
        Dimension = spec.GroupBy.Count == 0 ? "all" : string.Join(",", spec.GroupBy);
        GroupKey = GroupKeyOf(groupBy);

        var measures = new List<Measure<T>>();
        foreach (var m in spec.Measures)
        {
            if (m.Parts is var (numerator, denominator))
            {
                measures.Add(new Measure<T>.Ratio(m, IndexOfMeasure(spec, numerator), IndexOfMeasure(spec, denominator)));
                _ratios = true;
                continue;
            }
            measures.Add(Compile(m, schema));
        }
        _measures = [.. measures];

        var lateness = schema.AllowedLateness;
        switch (spec.Window.Kind)
        {
            case WindowKind.Tumbling: TimeWindows = TumblingWindows.Of(spec.Window.Size).WithAllowedLateness(lateness); break;
            case WindowKind.Hopping: TimeWindows = HoppingWindows.Of(spec.Window.Size, spec.Window.Advance).WithAllowedLateness(lateness); break;
            default: SessionWindows = Streaming.Windows.SessionWindows.WithGap(spec.Window.Size).WithAllowedLateness(lateness); break;
        }
        Serde = StateSerdes.Create<DomainAccumulator>(Write, Read);
    }

    public AggregateSpec Spec { get; }

    public string Name => Spec.Name;

    /// <summary>The rows' dimension: the groupBy fields joined with ",", or <c>all</c>.</summary>
    public string Dimension { get; }

    /// <summary>A record's group within the task, and its rows' dimension value: the groupBy values joined with "|" (absent: empty), or <c>all</c>.</summary>
    public Func<T, string> GroupKey { get; }

    /// <summary>The windows of a tumbling or hopping aggregate, allowed lateness included; null for sessions.</summary>
    public TimeWindows? TimeWindows { get; }

    /// <summary>The sessions of a session aggregate, allowed lateness included; null otherwise.</summary>
    public SessionWindows? SessionWindows { get; }

    /// <summary>The measures in words, for <c>domain check</c>.</summary>
    public string MeasuresText => string.Join(", ", _measures.Select(m => m.Text));

    /// <summary>Writes accumulators to snapshots: the record count, then each slot.</summary>
    public IStateSerde<DomainAccumulator> Serde { get; }

    internal DomainAccumulator NewAccumulator() => new(_longs, _doubles, _sets, _counts);

    internal void Add(DomainAccumulator acc, T record)
    {
        acc.Records++;
        foreach (var m in _measures) m.Add(acc, record);
    }

    internal void Merge(DomainAccumulator target, DomainAccumulator source)
    {
        target.Records += source.Records;
        foreach (var m in _measures) m.Merge(target, source);
    }

    /// <summary>Rows per item of a top-k measure: (metric, field, value, count).</summary>
    internal void EmitItems(DomainAccumulator acc, Action<string, string, string, double> item)
    {
        foreach (var m in _measures) m.EmitItems(acc, item);
    }

    internal void Emit(DomainAccumulator acc, Action<string, double> row)
    {
        if (!_ratios)
        {
            foreach (var m in _measures) m.Emit(acc, row);
            return;
        }
        // A ratio divides what its parts wrote: their first metric (a mean's is the mean itself).
        var values = new double?[_measures.Length];
        for (var i = 0; i < _measures.Length; i++)
        {
            var m = _measures[i];
            if (m is Measure<T>.Ratio ratio)
            {
                ratio.Emit(values, row);
                continue;
            }
            var index = i;
            m.Emit(acc, (metric, value) =>
            {
                if (metric == m.Spec.Name) values[index] = value;
                row(metric, value);
            });
        }
    }

    internal static void Reset(DomainAccumulator acc)
    {
        acc.Records = 0;
        Array.Clear(acc.Longs);
        Array.Clear(acc.Doubles);
        foreach (var set in acc.Sets) set.Clear();
        foreach (var counts in acc.Counts) counts.Clear();
    }

    private Measure<T> Compile(MeasureSpec m, AggregateFields<T> schema)
    {
        var domain = schema.Domain;
        switch (m.Kind)
        {
            case MeasureKind.Count:
                return new Measure<T>.Count(m);
            case MeasureKind.CountWhere:
                var clauses = new List<RuleCondition<T>.Clause>();
                foreach (var c in m.Where)
                {
                    var key = $"{m.Key}.countWhere.{c.Field}";
                    var field = schema.Fields[FieldIndex(schema, c.Field, key, m.Line)];
                    if (c.Values is null)
                    {
                        clauses.Add(new RuleCondition<T>.Presence(field, c.Present));
                        continue;
                    }
                    if (field.IsNumber) Fail(domain.Source, m.Line, key, $"{field.Name} is a number; countWhere lists text values, or says absent or present");
                    foreach (var v in c.Values)
                        if (field.Values.Count > 0 && !field.Values.Contains(v))
                            Fail(domain.Source, m.Line, key, $"'{v}' is not a value of {field.Name}; it has {string.Join(", ", field.Values)}");
                    clauses.Add(new RuleCondition<T>.OneOf(field, [.. c.Values]));
                }
                return new Measure<T>.CountWhere(m, new RuleCondition<T>(clauses), _longs++);
            case MeasureKind.TopK:
            {
                var index = FieldIndex(schema, m.Field!, $"{m.Key}.top", m.Line);
                if (schema.Fields[index].Type == FieldType.Double)
                    Fail(domain.Source, m.Line, $"{m.Key}.top", $"{m.Field} is a double; top counts text, enum or whole-number values");
                return new Measure<T>.TopK(m, schema.TextOf(index), _counts++);
            }
            case MeasureKind.Distinct:
            {
                var index = FieldIndex(schema, m.Field!, $"{m.Key}.distinct", m.Line);
                if (schema.Fields[index].Type == FieldType.Double)
                    Fail(domain.Source, m.Line, $"{m.Key}.distinct", $"{m.Field} is a double; distinct counts text, enum or whole-number values");
                return new Measure<T>.Distinct(m, schema.TextOf(index), _sets++, index == schema.KeyIndex);
            }
            default:
            {
                var what = m.Kind.ToString().ToLowerInvariant();
                var index = FieldIndex(schema, m.Field!, $"{m.Key}.{what}", m.Line);
                var type = schema.Fields[index].Type;
                var numeric = type is FieldType.Long or FieldType.Int or FieldType.Double;
                var ordered = numeric || type == FieldType.Timestamp;
                if (m.Kind is MeasureKind.Sum or MeasureKind.Mean && !numeric)
                    Fail(domain.Source, m.Line, $"{m.Key}.{what}", $"{m.Field} is {FieldSpec.NameOf(type)}; {what} needs a number (long, int or double)");
                if (!ordered)
                    Fail(domain.Source, m.Line, $"{m.Key}.{what}", $"{m.Field} is {FieldSpec.NameOf(type)}; {what} needs a number or a timestamp");
                var value = schema.NumberOf(index);
                return m.Kind is MeasureKind.Sum or MeasureKind.Mean
                    ? new Measure<T>.Sum(m, value, _doubles++, _longs++, mean: m.Kind == MeasureKind.Mean)
                    : new Measure<T>.Extreme(m, value, _doubles++, _longs++, max: m.Kind == MeasureKind.Max);
            }
        }
    }

    private static int IndexOfMeasure(AggregateSpec spec, string name)
    {
        for (var i = 0; i < spec.Measures.Count; i++)
            if (spec.Measures[i].Name == name) return i;
        throw new InvalidOperationException($"{spec.Key}: the file reader let a ratio name '{name}', which is not a measure");
    }

    private static int FieldIndex(AggregateFields<T> schema, string name, string key, int line)
    {
        var index = schema.IndexOf(name);
        if (index < 0)
            Fail(schema.Domain.Source, line, key, $"'{name}' is not a field of the {schema.Domain.Name} event; it has {string.Join(", ", schema.Fields.Select(f => f.Name))}");
        return index;
    }

    private static Func<T, string> GroupKeyOf(List<Func<T, string?>> parts)
    {
        if (parts.Count == 0) return static _ => "all";
        if (parts.Count == 1)
        {
            var only = parts[0];
            return r => only(r) ?? "";
        }
        if (parts.Count == 2)
        {
            var (a, b) = (parts[0], parts[1]);
            return r => string.Concat(a(r), "|", b(r));
        }
        var all = parts.ToArray();
        return r =>
        {
            var values = new string?[all.Length];
            for (var i = 0; i < all.Length; i++) values[i] = all[i](r);
            return string.Join('|', values);
        };
    }

    private void Write(SnapshotWriter writer, in DomainAccumulator acc)
    {
        writer.WriteVarInt64(acc.Records);
        foreach (var n in acc.Longs) writer.WriteVarInt64(n);
        foreach (var d in acc.Doubles) writer.WriteDouble(d);
        foreach (var set in acc.Sets)
        {
            writer.WriteCount(set.Count);
            foreach (var v in set) writer.WriteString(v);
        }
        foreach (var counts in acc.Counts)
        {
            writer.WriteCount(counts.Count);
            foreach (var (v, n) in counts)
            {
                writer.WriteString(v);
                writer.WriteVarInt64(n);
            }
        }
    }

    // The layout is the aggregate's; a snapshot of another layout is refused by the operator's section checks and the
    // topology's shape first, and reads garbage here only if the file changed measures under the same names.
    private DomainAccumulator Read(ref SnapshotReader reader)
    {
        var acc = NewAccumulator();
        acc.Records = reader.ReadVarInt64();
        for (var i = 0; i < acc.Longs.Length; i++) acc.Longs[i] = reader.ReadVarInt64();
        for (var i = 0; i < acc.Doubles.Length; i++) acc.Doubles[i] = reader.ReadDouble();
        foreach (var set in acc.Sets)
        {
            var count = reader.ReadCount();
            set.EnsureCapacity(count);
            for (var i = 0; i < count; i++) set.Add(reader.ReadRequiredString());
        }
        foreach (var counts in acc.Counts)
        {
            var count = reader.ReadCount();
            counts.EnsureCapacity(count);
            for (var i = 0; i < count; i++) counts[reader.ReadRequiredString()] = reader.ReadVarInt64();
        }
        return acc;
    }
}

/// <summary>The aggregator the window and session operators run for a <see cref="CompiledAggregate{T}"/>.</summary>
/// <remarks>The emitter copies each result into rows at once, so the operators may reuse accumulators. Not invertible:
/// min and max cannot be taken apart, so hopping windows merge their panes when they fire.</remarks>
public sealed class DomainAggregator<T>(CompiledAggregate<T> aggregate)
    : IAggregator<T, DomainAccumulator, DomainAccumulator>, IRecyclingAggregator<DomainAccumulator>
{
    public DomainAccumulator CreateAccumulator() => aggregate.NewAccumulator();

    public DomainAccumulator Add(DomainAccumulator accumulator, in T value, long timestamp)
    {
        aggregate.Add(accumulator, value);
        return accumulator;
    }

    public DomainAccumulator Merge(DomainAccumulator target, DomainAccumulator source)
    {
        aggregate.Merge(target, source);
        return target;
    }

    public DomainAccumulator GetResult(DomainAccumulator accumulator, Window window) => accumulator;

    public void Reset(DomainAccumulator accumulator)
    {
        ArgumentNullException.ThrowIfNull(accumulator);
        CompiledAggregate<T>.Reset(accumulator);
    }
}
