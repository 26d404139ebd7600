using System.Diagnostics.CodeAnalysis;
using Sluice.Core.Errors;

namespace Sluice.DuckDb;

/// <summary>DuckDB refused an operation; the message carries DuckDB's own reason.</summary>
/// <remarks>
/// DuckDB's message (with its <c>Parser Error:</c>, <c>Constraint Error:</c>, ... prefix) is kept whole in
/// <see cref="NativeMessage"/>; <see cref="Exception.Message"/> is the same text on one line. Transaction
/// conflicts are transient: the same statement can succeed once the other writer has committed.
/// </remarks>
public sealed class DuckDbException : SluiceException
{
    public DuckDbException(string operation, string? nativeMessage, DuckDbErrorType errorType, string? sql = null)
        : base($"DuckDB {operation} failed: {OneLine(nativeMessage)}", isTransient: errorType == DuckDbErrorType.Transaction)
    {
        NativeMessage = nativeMessage ?? "";
        ErrorType = errorType;
        Sql = sql;
    }

    public DuckDbException() : this("DuckDB failed.") { }

    public DuckDbException(string message) : base(message) => NativeMessage = message;

    public DuckDbException(string message, Exception innerException) : base(message, innerException) => NativeMessage = message;

    /// <summary>DuckDB's message exactly as it reported it (may span lines, e.g. a parser error with its caret).</summary>
    public string NativeMessage { get; }

    /// <summary>DuckDB's error class, where the failing call reports one; <see cref="DuckDbErrorType.Invalid"/> otherwise.</summary>
    public DuckDbErrorType ErrorType { get; }

    /// <summary>The statement that failed, when there was one.</summary>
    public string? Sql { get; }

    [DoesNotReturn]
    internal static void Throw(string operation, string? nativeMessage, DuckDbErrorType errorType = DuckDbErrorType.Invalid, string? sql = null) =>
        throw new DuckDbException(operation, nativeMessage, errorType, sql);

    private static string OneLine(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return "no reason given";
        var trimmed = text.Trim();
        if (trimmed.IndexOfAny(['\r', '\n']) < 0) return trimmed;
        var parts = trimmed.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return string.Join(" | ", parts);
    }
}

/// <summary>DuckDB's <c>duckdb_error_type</c>: the class of an error.</summary>
public enum DuckDbErrorType
{
    Invalid = 0,
    OutOfRange = 1,
    Conversion = 2,
    UnknownType = 3,
    Decimal = 4,
    MismatchType = 5,
    DivideByZero = 6,
    ObjectSize = 7,
    InvalidType = 8,
    Serialization = 9,
    Transaction = 10,
    NotImplemented = 11,
    Expression = 12,
    Catalog = 13,
    Parser = 14,
    Planner = 15,
    Scheduler = 16,
    Executor = 17,
    Constraint = 18,
    Index = 19,
    Stat = 20,
    Connection = 21,
    Syntax = 22,
    Settings = 23,
    Binder = 24,
    Network = 25,
    Optimizer = 26,
    NullPointer = 27,
    IO = 28,
    Interrupt = 29,
    Fatal = 30,
    Internal = 31,
    InvalidInput = 32,
    OutOfMemory = 33,
    Permission = 34,
    ParameterNotResolved = 35,
    ParameterNotAllowed = 36,
    Dependency = 37,
    Http = 38,
    MissingExtension = 39,
    Autoload = 40,
    Sequence = 41,
    InvalidConfiguration = 42,
}
