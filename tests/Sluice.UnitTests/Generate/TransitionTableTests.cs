using Sluice.Core.Errors;
using Sluice.Generate.Journeys;
using Sluice.Generate.Randomness;

namespace Sluice.UnitTests.Generate;

public class TransitionTableTests
{
    private const string Valid = """
        journey:
          start: landing
          transitions:
            landing:          { browse: 0.5, exit: 0.5 }
            browse:           { product_view: 0.5, exit: 0.5 }
            search:           { exit: 1 }
            product_view:     { add_to_cart: 0.5, exit: 0.5 }
            add_to_cart:      { checkout: 1 }
            remove_from_cart: { exit: 1 }
            wishlist:         { exit: 1 }
            checkout:         { purchase: 1 }
            purchase:         { exit: 1 }
        """;

    private static TransitionTable Parse(string yaml) => TransitionTable.Parse(new StringReader(yaml), "test.yaml");

    private static ConfigurationException Rejects(string yaml) => Assert.Throws<ConfigurationException>(() => Parse(yaml));

    [Fact]
    public void default_table_loads_and_every_row_sums_to_one()
    {
        var table = TransitionTable.Default;
        Assert.Equal(JourneyState.Landing, table.Start);
        for (var from = JourneyState.Landing; from < JourneyState.Exit; from++)
        {
            var sum = 0.0;
            for (var to = JourneyState.Landing; to <= JourneyState.Exit; to++) sum += table.Probability(from, to);
            Assert.Equal(1.0, sum, 9);
        }
    }

    [Fact]
    public void default_table_file_in_config_is_the_embedded_default()
    {
        var path = Path.Combine(RepoRoot(), "config", "domains", "ecommerce.yaml");
        var fromFile = TransitionTable.Load(path);
        Assert.Equal(TransitionTable.Default.Probability(JourneyState.Checkout, JourneyState.Purchase),
            fromFile.Probability(JourneyState.Checkout, JourneyState.Purchase));
    }

    [Fact]
    public void values_may_be_secret_references_resolved_like_configuration_values()
    {
        var name = $"SLUICE_TEST_P_{Guid.NewGuid():N}";
        var yaml = Valid.Replace("search:           { exit: 1 }", $"search:           {{ exit: \"${{env:{name}}}\" }}");
        var missing = Rejects(yaml);
        Assert.Equal("journey.transitions.search.exit", missing.Key);
        Assert.Contains(name, missing.Message);

        Environment.SetEnvironmentVariable(name, "1");
        try
        {
            Assert.Equal(1.0, Parse(yaml).Probability(JourneyState.Search, JourneyState.Exit));
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Fact]
    public void row_that_does_not_sum_to_one_is_named()
    {
        var ex = Rejects(Valid.Replace("browse:           { product_view: 0.5, exit: 0.5 }", "browse:           { product_view: 0.5, exit: 0.45 }"));
        Assert.Equal("journey.transitions.browse", ex.Key);
        Assert.Contains("sum to 0.95", ex.Message);
        Assert.Contains("test.yaml", ex.Message);
    }

    [Fact]
    public void row_within_tolerance_is_accepted()
    {
        var table = Parse(Valid.Replace("{ browse: 0.5, exit: 0.5 }", "{ browse: 0.5000000000001, exit: 0.5 }"));
        Assert.Equal(0.5000000000001, table.Probability(JourneyState.Landing, JourneyState.Browse));
    }

    [Fact]
    public void unknown_state_is_named_with_the_allowed_ones()
    {
        var ex = Rejects(Valid.Replace("search:           { exit: 1 }", "serch:           { exit: 1 }"));
        Assert.Equal("journey.transitions.serch", ex.Key);
        Assert.Contains("product_view", ex.Message);
    }

    [Fact]
    public void unknown_target_is_named()
    {
        var ex = Rejects(Valid.Replace("wishlist:         { exit: 1 }", "wishlist:         { leave: 1 }"));
        Assert.Equal("journey.transitions.wishlist.leave", ex.Key);
    }

    [Theory]
    [InlineData("-0.5")]
    [InlineData("abc")]
    [InlineData("1.5")]
    public void probability_that_is_not_between_0_and_1_is_rejected(string value)
    {
        var ex = Rejects(Valid.Replace("search:           { exit: 1 }", $"search:           {{ exit: {value} }}"));
        Assert.Equal("journey.transitions.search.exit", ex.Key);
    }

    [Fact]
    public void missing_row_is_named()
    {
        var ex = Rejects(Valid.Replace("    wishlist:         { exit: 1 }\n", ""));
        Assert.Equal("journey.transitions.wishlist", ex.Key);
        Assert.Contains("missing", ex.Message);
    }

    [Fact]
    public void exit_cannot_have_a_row()
    {
        var ex = Rejects(Valid + "\n    exit: { landing: 1 }\n");
        Assert.Equal("journey.transitions.exit", ex.Key);
    }

    [Fact]
    public void invalid_yaml_names_the_line_where_the_unclosed_bracket_opened()
    {
        var ex = Assert.Throws<SluiceException>(() => Parse("journey:\n  transitions: { landing: [\n"));
        Assert.Equal("domain file test.yaml: invalid YAML: the '[' at line 2, column 27 is never closed; close it with ']'", ex.Message);
    }

    [Fact]
    public void missing_journey_section_is_explained()
    {
        var ex = Rejects("something: else\n");
        Assert.Equal("journey", ex.Key);
    }

    [Fact]
    public void anonymous_visitors_never_enter_login_states()
    {
        var table = Parse(Valid);
        var rng = new Prng(11);
        for (var i = 0; i < 10_000; i++)
        {
            var next = table.Next(JourneyState.ProductView, loggedIn: false, rng);
            Assert.False(next.RequiresLogin());
        }
        // add_to_cart's only move is checkout: an anonymous visitor there can only leave.
        Assert.Equal(JourneyState.Exit, table.Next(JourneyState.AddToCart, loggedIn: false, rng));
    }

    internal static string RepoRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Sluice.slnx"))) dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }
}
