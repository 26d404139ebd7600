using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Parquet.Serialization.Attributes;

namespace Sluice.Sinks.Lake;

/// <summary>One line of a Delta commit file, or one row of a checkpoint: exactly one of its actions is set (see the Delta protocol's "Actions").</summary>
public sealed class DeltaAction
{
    [JsonPropertyName("txn")] public TxnAction? Txn { get; set; }
    [JsonPropertyName("add")] public AddAction? Add { get; set; }
    [JsonPropertyName("remove")] public RemoveAction? Remove { get; set; }
    [JsonPropertyName("metaData")] public MetadataAction? MetaData { get; set; }
    [JsonPropertyName("protocol")] public ProtocolAction? Protocol { get; set; }

    /// <summary>Provenance of a commit; free-form by the protocol, so never part of a checkpoint.</summary>
    [JsonPropertyName("commitInfo"), ParquetIgnore] public JsonObject? CommitInfo { get; set; }
}

/// <summary>The reader and writer versions the table needs: 1 and 2 (no table features).</summary>
public sealed class ProtocolAction
{
    [JsonPropertyName("minReaderVersion")] public int MinReaderVersion { get; set; } = 1;
    [JsonPropertyName("minWriterVersion")] public int MinWriterVersion { get; set; } = 2;
}

/// <summary>The table's id, schema and partition columns.</summary>
public sealed class MetadataAction
{
    [JsonPropertyName("id")] public string Id { get; set; } = "";
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("format")] public FormatSpec Format { get; set; } = new();
    [JsonPropertyName("schemaString")] public string SchemaString { get; set; } = "";
    [JsonPropertyName("partitionColumns")] public List<string> PartitionColumns { get; set; } = [];
    [JsonPropertyName("configuration")] public Dictionary<string, string> Configuration { get; set; } = [];
    [JsonPropertyName("createdTime")] public long? CreatedTime { get; set; }
}

public sealed class FormatSpec
{
    [JsonPropertyName("provider")] public string Provider { get; set; } = "parquet";
    [JsonPropertyName("options")] public Dictionary<string, string> Options { get; set; } = [];
}

/// <summary>A data file that is part of the table from this version on.</summary>
public sealed class AddAction
{
    /// <summary>Relative to the table's root, as a URI (RFC 2396): Sluice's paths need no escaping.</summary>
    [JsonPropertyName("path")] public string Path { get; set; } = "";
    [JsonPropertyName("partitionValues")] public Dictionary<string, string> PartitionValues { get; set; } = [];
    [JsonPropertyName("size")] public long Size { get; set; }
    [JsonPropertyName("modificationTime")] public long ModificationTime { get; set; }
    [JsonPropertyName("dataChange")] public bool DataChange { get; set; }
    /// <summary>numRecords, minValues, maxValues, nullCount, as a JSON string.</summary>
    [JsonPropertyName("stats")] public string? Stats { get; set; }
}

/// <summary>A data file no longer part of the table; kept as a tombstone until vacuum deletes the file.</summary>
public sealed class RemoveAction
{
    [JsonPropertyName("path")] public string Path { get; set; } = "";
    [JsonPropertyName("deletionTimestamp")] public long? DeletionTimestamp { get; set; }
    [JsonPropertyName("dataChange")] public bool DataChange { get; set; }
    [JsonPropertyName("extendedFileMetadata")] public bool? ExtendedFileMetadata { get; set; }
    [JsonPropertyName("partitionValues")] public Dictionary<string, string>? PartitionValues { get; set; }
    [JsonPropertyName("size")] public long? Size { get; set; }
}

/// <summary>The latest version an application committed: here, per (sink group, topic, partition), the next offset to read.</summary>
public sealed class TxnAction
{
    [JsonPropertyName("appId")] public string AppId { get; set; } = "";
    [JsonPropertyName("version")] public long Version { get; set; }
    [JsonPropertyName("lastUpdated")] public long? LastUpdated { get; set; }
}

/// <summary>The contents of <c>_delta_log/_last_checkpoint</c>.</summary>
public sealed class LastCheckpoint
{
    [JsonPropertyName("version")] public long Version { get; set; }
    /// <summary>Actions (rows) in the checkpoint.</summary>
    [JsonPropertyName("size")] public long Size { get; set; }
    [JsonPropertyName("sizeInBytes")] public long? SizeInBytes { get; set; }
    [JsonPropertyName("numOfAddFiles")] public long? NumOfAddFiles { get; set; }
}

/// <summary>JSON as the Delta log holds it: one compact object per line, absent rather than null fields.</summary>
internal static class DeltaJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = false,
        // The log is read by JSON parsers, not browsers: quotes inside stats stay \" rather than \u0022.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
