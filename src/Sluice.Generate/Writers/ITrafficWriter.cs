using System.Runtime.CompilerServices;
namespace Sluice.Generate.Writers;

/// <summary>Where generated records go: Kafka, rotating files, a stream, or nowhere (for benchmarks).</summary>
/// <remarks>Call order: <see cref="Write"/> any number of times, then <see cref="Flush"/>, then Dispose.</remarks>
public interface ITrafficWriter : IDisposable
{
    /// <summary>Accepts one record. The payload may be reused once this returns, so writers copy what they keep.</summary>
    void Write(in GeneratedRecord record);

    /// <summary>Returns once every record written so far is delivered or on disk; throws if any could not be.</summary>
    void Flush(CancellationToken cancellationToken = default);

    /// <summary>
    /// Whether <see cref="Write"/> reads <see cref="GeneratedRecord.Event"/>. A writer that needs only the payload, key and
    /// labels says false, and <see cref="GeneratorRunner"/> then lets the generator skip building event objects.
    /// </summary>
    bool ReadsEvents => true;
}

/// <summary>Discards records, counting them: the generator's own speed without any output cost.</summary>
public sealed class NullTrafficWriter : ITrafficWriter
{
    public long Records { get; private set; }
    public long Bytes { get; private set; }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Write(in GeneratedRecord record)
    {
        Records++;
        Bytes += record.Payload.Length;
    }

    public void Flush(CancellationToken cancellationToken = default) { }

    public bool ReadsEvents => false;

    public void Dispose() { }
}
