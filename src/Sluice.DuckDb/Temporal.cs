namespace Sluice.DuckDb;

/// <summary>Conversions between .NET dates and DuckDB's epoch-based DATE and TIMESTAMP.</summary>
internal static class Temporal
{
    private const long TicksPerMicro = TimeSpan.TicksPerMillisecond / 1000;
    private static readonly long EpochTicks = DateTime.UnixEpoch.Ticks;
    private static readonly int EpochDay = DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber;

    /// <summary>Microseconds since the epoch, rounding down; local times become UTC first.</summary>
    public static Native.Timestamp ToTimestamp(DateTime value)
    {
        if (value.Kind == DateTimeKind.Local) value = value.ToUniversalTime();
        var ticks = value.Ticks - EpochTicks;
        var micros = ticks / TicksPerMicro;
        // Division truncates toward zero; before 1970 that would round a sub-microsecond tail up.
        if (ticks % TicksPerMicro < 0) micros--;
        return new Native.Timestamp { Micros = micros };
    }

    public static Native.Date ToDate(DateOnly value) => new() { Days = value.DayNumber - EpochDay };

    /// <summary>A UTC <see cref="DateTime"/>, or false for values outside its range (DuckDB's infinity, years past 9999).</summary>
    public static bool TryFromMicros(long micros, out DateTime value) => TryFromTicks(micros, TicksPerMicro, out value);

    public static bool TryFromTicks(long units, long ticksPerUnit, out DateTime value)
    {
        var maxUnits = (DateTime.MaxValue.Ticks - EpochTicks) / ticksPerUnit;
        var minUnits = (DateTime.MinValue.Ticks - EpochTicks) / ticksPerUnit;
        if (units > maxUnits || units < minUnits)
        {
            value = default;
            return false;
        }
        value = new DateTime(EpochTicks + units * ticksPerUnit, DateTimeKind.Utc);
        return true;
    }

    public static bool TryFromDays(int days, out DateOnly value)
    {
        var day = (long)EpochDay + days;
        if (day < DateOnly.MinValue.DayNumber || day > DateOnly.MaxValue.DayNumber)
        {
            value = default;
            return false;
        }
        value = DateOnly.FromDayNumber((int)day);
        return true;
    }
}
