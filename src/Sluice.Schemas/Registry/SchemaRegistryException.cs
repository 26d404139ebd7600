using Sluice.Core.Errors;

namespace Sluice.Schemas.Registry;

/// <summary>A Schema Registry error: the HTTP status, the registry's error code and its message.</summary>
public sealed class SchemaRegistryException : SluiceException
{
    /// <summary>Subject not found.</summary>
    public const int SubjectNotFound = 40401;
    /// <summary>Version not found.</summary>
    public const int VersionNotFound = 40402;
    /// <summary>Schema (id) not found.</summary>
    public const int SchemaNotFound = 40403;
    /// <summary>The schema is incompatible with earlier versions (HTTP 409).</summary>
    public const int Incompatible = 409;
    /// <summary>The schema is not a valid Avro schema.</summary>
    public const int InvalidSchema = 42201;
    /// <summary>The version is not a positive integer or "latest".</summary>
    public const int InvalidVersion = 42202;
    /// <summary>Unknown compatibility level.</summary>
    public const int InvalidCompatibilityLevel = 42203;
    /// <summary>The registry could not store the change.</summary>
    public const int StoreError = 50001;

    public SchemaRegistryException(int httpStatus, int errorCode, string message, bool isTransient = false)
        : base(message, isTransient)
    {
        HttpStatus = httpStatus;
        ErrorCode = errorCode;
    }

    public SchemaRegistryException() : this(500, StoreError, "schema registry error") { }

    public SchemaRegistryException(string message) : this(500, StoreError, message) { }

    public SchemaRegistryException(string message, Exception innerException) : base(message, true, innerException)
    {
        HttpStatus = 503;
        ErrorCode = StoreError;
    }

    /// <summary>The HTTP status code.</summary>
    public int HttpStatus { get; }

    /// <summary>The registry's error code, for example 40401.</summary>
    public int ErrorCode { get; }
}
