namespace Sluice.Sinks.Tables;

/// <summary>What a column holds, independent of the store; each store maps it to its own SQL type.</summary>
public enum ColumnType
{
    Text,
    Integer,
    BigInt,
    Double,
    Boolean,
    Date,
    /// <summary>An instant (UTC), written from epoch milliseconds.</summary>
    Timestamp,
    Bytes,
    /// <summary>A JSON document kept as the processor wrote it.</summary>
    Json,
}
