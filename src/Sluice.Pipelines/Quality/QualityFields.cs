using Sluice.Core.Configuration;
using Sluice.Core.Events;

namespace Sluice.Pipelines.Quality;

/// <summary>The optional event fields whose nulls a quality window counts, in <see cref="QualityOptions.TrackedFields"/> order.</summary>
public static class QualityFields
{
    /// <summary>Wire names, as rows and checks name them.</summary>
    public static IReadOnlyList<string> Names => QualityOptions.TrackedFields;

    public static int Count => QualityOptions.TrackedFields.Count;

    /// <summary>The position of <paramref name="name"/> among <see cref="Names"/>, or -1.</summary>
    public static int IndexOf(string name)
    {
        for (var i = 0; i < Names.Count; i++)
            if (string.Equals(Names[i], name, StringComparison.Ordinal)) return i;
        return -1;
    }

    /// <summary>Adds one to <paramref name="nulls"/>[i] for each tracked field i that <paramref name="e"/> lacks.</summary>
    /// <remarks>A blank user id counts as null: enrichment and every aggregate treat it as no user.</remarks>
    public static void CountNulls(ClickEvent e, long[] nulls)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(nulls);
        if (string.IsNullOrWhiteSpace(e.UserId)) nulls[0]++;
        if (e.ProductId is null) nulls[1]++;
        if (e.ProductCategory is null) nulls[2]++;
        if (e.PriceCents is null) nulls[3]++;
        if (e.Quantity is null) nulls[4]++;
        if (e.SearchQuery is null) nulls[5]++;
        if (e.PageUrl is null) nulls[6]++;
        if (e.Referrer is null) nulls[7]++;
        if (e.UserAgent is null) nulls[8]++;
        if (e.IpAddress is null) nulls[9]++;
        if (e.GeoCountry is null) nulls[10]++;
        if (e.GeoCity is null) nulls[11]++;
        if (e.UserSegment is null) nulls[12]++;
        if (e.DeviceType is null) nulls[13]++;
        if (e.Browser is null) nulls[14]++;
        if (e.CampaignId is null) nulls[15]++;
    }
}
