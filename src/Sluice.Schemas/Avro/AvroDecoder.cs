using Sluice.Core.Events;

namespace Sluice.Schemas.Avro;

/// <summary>Decodes Avro binary written with one schema into generic values shaped by another (schema resolution).</summary>
/// <remarks>
/// Built once per (writer, reader) pair and then shared: construction resolves the two schemas per the
/// specification and lists every incompatibility in <see cref="Issues"/>. Data that takes a path the reader
/// cannot resolve (a writer union branch or enum symbol with no match) fails at read time with
/// <see cref="AvroReasonCodes.SchemaMismatch"/>, as the spec says; other data still decodes.
/// </remarks>
public sealed class AvroDecoder
{
    /// <summary>Deepest nesting of records, arrays, maps and unions accepted.</summary>
    public const int MaxDepth = 64;

    private readonly ReadNode _root;

    private AvroDecoder(AvroSchema writer, AvroSchema reader, ReadNode root, IReadOnlyList<string> issues)
    {
        Writer = writer;
        Reader = reader;
        _root = root;
        Issues = issues;
    }

    /// <summary>The schema the data was written with.</summary>
    public AvroSchema Writer { get; }

    /// <summary>The schema values are produced in.</summary>
    public AvroSchema Reader { get; }

    /// <summary>Why some writer data cannot be read by the reader; empty when the reader can read all of it.</summary>
    public IReadOnlyList<string> Issues { get; }

    /// <summary>A decoder for data written and read with the same schema.</summary>
    public static AvroDecoder Create(AvroSchema schema) => Create(schema, schema);

    /// <summary>A decoder that resolves <paramref name="writer"/> data into <paramref name="reader"/> values.</summary>
    public static AvroDecoder Create(AvroSchema writer, AvroSchema reader)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(reader);
        var builder = new ResolverBuilder();
        var root = builder.Build(writer, reader, "$");
        return new AvroDecoder(writer, reader, root, builder.Issues);
    }

    /// <summary>Decodes one complete value; the whole of <paramref name="data"/> must be consumed.</summary>
    public bool TryDecode(ReadOnlySpan<byte> data, out object? value, out DecodeError error)
    {
        var r = new AvroReader(data);
        if (TryRead(ref r, out value))
        {
            if (r.Remaining == 0)
            {
                error = default;
                return true;
            }
            r.Fail(AvroReasonCodes.TrailingBytes, $"{r.Remaining} bytes after the value");
        }
        value = null;
        error = new DecodeError(r.ReasonCode!, r.Detail!);
        return false;
    }

    /// <summary>Reads one value from <paramref name="reader"/>; on failure the reader holds the reason.</summary>
    public bool TryRead(ref AvroReader reader, out object? value) => _root.Read(ref reader, 0, out value);
}

/// <summary>One step of a resolved decoding plan.</summary>
internal abstract class ReadNode
{
    public abstract bool Read(ref AvroReader r, int depth, out object? value);
}

/// <summary>Resolves writer against reader schemas into <see cref="ReadNode"/> trees, noting incompatibilities.</summary>
internal sealed class ResolverBuilder
{
    private readonly Dictionary<(AvroSchema, AvroSchema), RecordNode> _records = [];

    public List<string> Issues { get; } = [];

    public ReadNode Build(AvroSchema w, AvroSchema rd, string path)
    {
        if (w is UnionSchema wu)
        {
            var branches = new ReadNode[wu.Branches.Count];
            for (var i = 0; i < branches.Length; i++) branches[i] = Build(wu.Branches[i], rd, path);
            return new WriterUnionNode(branches);
        }
        if (rd is UnionSchema ru)
        {
            var match = MatchBranch(ru, w);
            if (match is null) return Issue(path, $"reader union {Describe(rd)} has no branch for writer type {w.Name}");
            return Build(w, match, path);
        }
        switch (w.Type, rd.Type)
        {
            case (AvroType.Null, AvroType.Null): return NullNode.Instance;
            case (AvroType.Boolean, AvroType.Boolean): return BooleanNode.Instance;
            case (AvroType.Int, AvroType.Int or AvroType.Long or AvroType.Float or AvroType.Double):
                return new IntNode(rd.Type, rd.Logical);
            case (AvroType.Long, AvroType.Long or AvroType.Float or AvroType.Double):
                return new LongNode(rd.Type, rd.Logical);
            case (AvroType.Float, AvroType.Float or AvroType.Double): return new FloatNode(rd.Type);
            case (AvroType.Double, AvroType.Double): return DoubleNode.Instance;
            case (AvroType.Bytes or AvroType.String, AvroType.Bytes or AvroType.String):
                return new StringNode(rd.Type, rd.Logical);
            case (AvroType.Fixed, AvroType.Fixed):
                var wf = (FixedSchema)w;
                var rf = (FixedSchema)rd;
                if (!rf.Accepts(wf)) return Issue(path, $"fixed name {wf.FullName} does not match reader {rf.FullName}");
                if (wf.Size != rf.Size) return Issue(path, $"fixed {rf.FullName} size {wf.Size} does not match reader size {rf.Size}");
                return new FixedNode(wf.Size);
            case (AvroType.Enum, AvroType.Enum):
                return BuildEnum((EnumSchema)w, (EnumSchema)rd, path);
            case (AvroType.Array, AvroType.Array):
                var items = ((ArraySchema)w).Items;
                return new ArrayNode(Build(items, ((ArraySchema)rd).Items, path + "[]"), MinSize(items, []));
            case (AvroType.Map, AvroType.Map):
                return new MapNode(Build(((MapSchema)w).Values, ((MapSchema)rd).Values, path + "{}"));
            case (AvroType.Record, AvroType.Record):
                return BuildRecord((RecordSchema)w, (RecordSchema)rd, path);
            default:
                return Issue(path, $"writer type {w.Name} cannot be read as reader type {rd.Name}");
        }
    }

    /// <summary>The reader branch for a non-union writer type: the same type first, then a promotion.</summary>
    private static AvroSchema? MatchBranch(UnionSchema reader, AvroSchema w)
    {
        foreach (var b in reader.Branches)
        {
            if (b.Type != w.Type) continue;
            if (b is NamedSchema named && !named.Accepts((NamedSchema)w)) continue;
            return b;
        }
        foreach (var b in reader.Branches)
        {
            var promotable = (w.Type, b.Type) switch
            {
                (AvroType.Int, AvroType.Long or AvroType.Float or AvroType.Double) => true,
                (AvroType.Long, AvroType.Float or AvroType.Double) => true,
                (AvroType.Float, AvroType.Double) => true,
                (AvroType.String, AvroType.Bytes) or (AvroType.Bytes, AvroType.String) => true,
                _ => false,
            };
            if (promotable) return b;
        }
        return null;
    }

    private ReadNode BuildEnum(EnumSchema w, EnumSchema rd, string path)
    {
        if (!rd.Accepts(w)) return Issue(path, $"enum name {w.FullName} does not match reader {rd.FullName}");
        var map = new AvroEnum?[w.Symbols.Count];
        for (var i = 0; i < map.Length; i++)
        {
            var symbol = w.Symbols[i];
            if (rd.IndexOf(symbol) >= 0) map[i] = new AvroEnum(symbol);
            else if (rd.Default is not null) map[i] = new AvroEnum(rd.Default);
            else Issues.Add($"{path}: writer symbol '{symbol}' is not in reader enum {rd.FullName}, which has no default");
        }
        return new EnumNode(map);
    }

    private ReadNode BuildRecord(RecordSchema w, RecordSchema rd, string path)
    {
        if (!rd.Accepts(w)) return Issue(path, $"record name {w.FullName} does not match reader {rd.FullName}");
        if (_records.TryGetValue((w, rd), out var existing)) return existing;
        var node = new RecordNode(rd);
        _records[(w, rd)] = node;

        var steps = new (int Target, ReadNode Node)[w.Fields.Count];
        var filled = new bool[rd.Fields.Count];
        for (var i = 0; i < steps.Length; i++)
        {
            var wf = w.Fields[i];
            var rf = FindReaderField(rd, wf.Name);
            if (rf is null)
            {
                steps[i] = (-1, new SkipNode(wf.Schema));
                continue;
            }
            filled[rf.Position] = true;
            steps[i] = (rf.Position, Build(wf.Schema, rf.Schema, $"{path}.{rf.Name}"));
        }
        var defaults = new List<(int, object?)>();
        foreach (var rf in rd.Fields)
        {
            if (filled[rf.Position]) continue;
            if (rf.HasDefault) defaults.Add((rf.Position, rf.DefaultValue));
            else Issues.Add($"{path}.{rf.Name}: reader field '{rf.Name}' has no default and the writer has no such field");
        }
        node.Steps = steps;
        node.Defaults = [.. defaults];
        return node;
    }

    private static AvroField? FindReaderField(RecordSchema rd, string writerName)
    {
        if (rd.GetField(writerName) is { } direct) return direct;
        foreach (var f in rd.Fields)
        {
            foreach (var alias in f.Aliases)
            {
                if (alias == writerName) return f;
            }
        }
        return null;
    }

    private ErrorNode Issue(string path, string problem)
    {
        var message = $"{path}: {problem}";
        Issues.Add(message);
        return new ErrorNode(message);
    }

    private static string Describe(AvroSchema s) => s is UnionSchema u ? "[" + string.Join(", ", u.Branches.Select(b => b.Name)) + "]" : s.Name;

    /// <summary>The fewest bytes one value of <paramref name="s"/> takes on the wire.</summary>
    internal static int MinSize(AvroSchema s, HashSet<AvroSchema> visiting) => s.Type switch
    {
        AvroType.Null => 0,
        AvroType.Float => 4,
        AvroType.Double => 8,
        AvroType.Fixed => ((FixedSchema)s).Size,
        AvroType.Record => RecordMinSize((RecordSchema)s, visiting),
        _ => 1,
    };

    private static int RecordMinSize(RecordSchema s, HashSet<AvroSchema> visiting)
    {
        if (!visiting.Add(s)) return 0;
        long sum = 0;
        foreach (var f in s.Fields) sum += MinSize(f.Schema, visiting);
        visiting.Remove(s);
        return (int)Math.Min(sum, int.MaxValue);
    }
}
