namespace Sluice.Sinks.Tables;

/// <summary>Receives a row's values column by column, in table order; one implementation per store's bulk writer.</summary>
/// <remarks>Values are typed, not boxed: a store's writer forwards each to its own bulk API (binary COPY, the appender).</remarks>
public interface IColumnWriter
{
    void Text(string? value);
    void Integer(int? value);
    void BigInt(long? value);
    void Double(double? value);
    void Boolean(bool? value);
    void Date(DateOnly? value);
    /// <summary>An instant as epoch milliseconds.</summary>
    void Timestamp(long? epochMs);
    void Bytes(byte[]? value);
    void Json(string value);
}

/// <summary>Hands a row's values out of a store's result set, column by column in table order.</summary>
public interface IColumnReader
{
    string? Text();
    int? Integer();
    long? BigInt();
    double? Double();
    bool? Boolean();
    DateOnly? Date();
    long? Timestamp();
    byte[]? Bytes();
    string Json();
}
