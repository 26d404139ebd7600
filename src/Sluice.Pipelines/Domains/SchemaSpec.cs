namespace Sluice.Pipelines.Domains;

/// <summary>The <c>schema</c> section: how the Avro record generated from a domain's fields is named.</summary>
/// <param name="Name">The record's name.</param>
/// <param name="Namespace">The record's namespace; empty for none.</param>
/// <param name="Doc">The record's doc; null for none.</param>
public sealed record SchemaSpec(string Name, string Namespace, string? Doc)
{
    /// <summary>The defaults for a domain: the domain's name in PascalCase, in the namespace <c>sluice.domains</c>.</summary>
    public static SchemaSpec For(string domain) => new(DomainAvroSchema.Pascal(domain), "sluice.domains", null);
}
