namespace Sluice.Generate.Model;

/// <summary>A country (ISO 3166-1 alpha-2) with its share of traffic and its cities.</summary>
public sealed record Country(string Code, double Weight, string[] Cities);

/// <summary>Where the simulated shoppers are. Weights are relative; city names are real UTF-8 text on purpose.</summary>
public static class Geography
{
    public static readonly Country[] Countries =
    [
        new("US", 30, ["New York", "Los Angeles", "Chicago", "Seattle"]),
        new("GB", 12, ["London", "Manchester", "Edinburgh"]),
        new("DE", 12, ["Berlin", "München", "Hamburg"]),
        new("FR", 8, ["Paris", "Lyon"]),
        new("NL", 5, ["Amsterdam", "Rotterdam"]),
        new("ES", 5, ["Madrid", "Barcelona"]),
        new("PL", 4, ["Warszawa", "Kraków"]),
        new("IN", 8, ["Bengaluru", "Mumbai"]),
        new("BR", 6, ["São Paulo", "Rio de Janeiro"]),
        new("JP", 5, ["Tokyo", "Osaka"]),
        new("CA", 3, ["Toronto", "Montréal"]),
        new("AU", 2, ["Sydney", "Melbourne"]),
    ];

    internal static readonly double[] CumulativeWeights = Randomness.Weights.Cumulative(WeightsOf(Countries));

    private static double[] WeightsOf(Country[] countries)
    {
        var weights = new double[countries.Length];
        for (var i = 0; i < countries.Length; i++) weights[i] = countries[i].Weight;
        return weights;
    }
}
