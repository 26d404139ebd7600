namespace Sluice.Generate.Domains;

/// <summary>What the generator did to a reading on purpose.</summary>
public enum ReadingFault
{
    /// <summary>A healthy reading, delivered when taken.</summary>
    None,
    /// <summary>A value beyond its metric's rule: a dead letter with that rule's code.</summary>
    OutOfRange,
    /// <summary>A second copy of an earlier reading (the same id): dropped by deduplication.</summary>
    Duplicate,
    /// <summary>Delivered long after it was taken, when its window has closed.</summary>
    Late,
    /// <summary>Delivered a little after it was taken, within the watermark's bound: out of order but on time.</summary>
    Disorder,
}

/// <summary>One generated reading as it is produced: its key, its JSON, its Kafka timestamp, and what it carries.</summary>
/// <param name="Value">The JSON object, the domain's fields by name.</param>
/// <param name="Timestamp">The Kafka timestamp it is produced with: the reading's own time, as the e-commerce generator stamps events.</param>
/// <param name="ExpectedCode">The reason code of the rule it breaks on purpose; null for a reading that breaks none.</param>
/// <param name="Battery">The battery level; null on a mains-powered device (the field is left out).</param>
public sealed record SensorReading(
    string Key, byte[] Value, long Timestamp, ReadingFault Fault, string? ExpectedCode,
    string Id, string Device, string Site, string Metric, double Reading, string Unit, double? Battery, long At)
{
    /// <summary>The reading's value for a domain field, through the names the simulation fills: text, a double, or epoch ms.</summary>
    public object? Field(SensorFieldNames names, string field)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (field == names.Key) return Device;
        if (field == names.Time) return At;
        if (field == names.Id) return Id;
        if (field == names.Site) return Site;
        if (field == names.Metric) return Metric;
        if (field == names.Value) return Reading;
        if (field == names.Unit) return Unit;
        if (field == names.Battery) return Battery;
        return null;
    }
}

/// <summary>The domain fields a simulation fills: the event's key, time and id, and the simulation's own.</summary>
public sealed record SensorFieldNames(string Key, string Time, string Id, string Site, string Metric, string Value, string Unit, string Battery);

/// <summary>A generated run: the readings in delivery order, and the faults that are not per reading.</summary>
/// <param name="DriftingDevices">Devices whose readings drift.</param>
/// <param name="Silences">Times a device went silent for the silence span.</param>
public sealed record SensorTraffic(IReadOnlyList<SensorReading> Readings, int Devices, int DriftingDevices, int Silences, long StartMs)
{
    /// <summary>The readings with <paramref name="fault"/>.</summary>
    public int Count(ReadingFault fault) => Readings.Count(r => r.Fault == fault);
}
