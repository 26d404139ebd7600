namespace Sluice.Pipelines.Domains;

/// <summary>The e-commerce enrichment's word lists, as a domain file's <c>enrichment</c> section sets them; null: the built-in list.</summary>
/// <param name="BotSignatures">User-agent words (whole words, any case) that mark a bot: its events go to the bots topic.</param>
/// <param name="MobileUserAgents">Without a device type, a user agent containing one of these (any case) is mobile.</param>
/// <param name="MobileDeviceTypes">Device types (any case) that are mobile.</param>
public sealed record EnrichmentSpec(IReadOnlyList<string>? BotSignatures, IReadOnlyList<string>? MobileUserAgents, IReadOnlyList<string>? MobileDeviceTypes)
{
    /// <summary>Every list built in.</summary>
    public static EnrichmentSpec Default { get; } = new(null, null, null);
}
