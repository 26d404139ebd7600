using System.Buffers;
using System.Text.Json;
using Sluice.Generate.Model;

namespace Sluice.Generate.Cdc;

/// <summary>Debezium operation codes: snapshot read, create, update, delete.</summary>
public enum ChangeOp : byte
{
    Read,
    Create,
    Update,
    Delete,
}

/// <summary>Writes user-profile changes as Debezium-style envelopes (payload only, no schema block).</summary>
/// <remarks>
/// <c>{"before":{row}|null,"after":{row}|null,"op":"c|u|d|r","ts_ms":…,"source":{…}}</c> with a row of
/// <c>user_id, email, segment, country, city, created_at, updated_at</c> (times in epoch ms). The change is in
/// effect from <c>ts_ms</c>: click events at or after it carry the new values. <c>source.lsn</c> is the change's
/// position in the source database's log, as Debezium's PostgreSQL connector writes it: it rises with every change.
/// </remarks>
public static class UserChangeJson
{
    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true };

    public static string ToCode(this ChangeOp op) => op switch
    {
        ChangeOp.Read => "r",
        ChangeOp.Create => "c",
        ChangeOp.Update => "u",
        _ => "d",
    };

    /// <summary>Writes one envelope; <paramref name="before"/> is null for r and c, <paramref name="after"/> for d.</summary>
    public static void Write(IBufferWriter<byte> output, ChangeOp op, UserProfile user, ProfileVersion? before, ProfileVersion? after, long tsMs, long lsn)
    {
        using var w = new Utf8JsonWriter(output, WriterOptions);
        w.WriteStartObject();
        WriteRow(w, "before"u8, user, before);
        WriteRow(w, "after"u8, user, after);
        w.WriteString("op"u8, op.ToCode());
        w.WriteNumber("ts_ms"u8, tsMs);
        w.WriteStartObject("source"u8);
        w.WriteString("version"u8, "sluice-generator-1");
        w.WriteString("connector"u8, "sluice");
        w.WriteString("name"u8, "shop");
        w.WriteNumber("ts_ms"u8, tsMs);
        w.WriteString("snapshot"u8, op == ChangeOp.Read ? "true" : "false");
        w.WriteString("db"u8, "shop");
        w.WriteString("schema"u8, "public");
        w.WriteString("table"u8, "users");
        w.WriteNumber("lsn"u8, lsn);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteRow(Utf8JsonWriter w, ReadOnlySpan<byte> name, UserProfile user, ProfileVersion? row)
    {
        if (row is null)
        {
            w.WriteNull(name);
            return;
        }
        w.WriteStartObject(name);
        w.WriteString("user_id"u8, user.UserId);
        w.WriteString("email"u8, row.Email);
        w.WriteString("segment"u8, row.SegmentName);
        w.WriteString("country"u8, row.Country.Code);
        w.WriteString("city"u8, row.City);
        w.WriteNumber("created_at"u8, user.CreatedAt);
        w.WriteNumber("updated_at"u8, row.ValidFrom);
        w.WriteEndObject();
    }
}
