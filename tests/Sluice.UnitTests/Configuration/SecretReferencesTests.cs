using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.TestKit;

namespace Sluice.UnitTests.Configuration;

// SLUICE__ variables are process-wide: the tests that set them must not run beside other config tests.
[Collection(nameof(ConfigurationCollection))]
public sealed class SecretReferencesTests
{
    private static readonly string RepoConfig = Path.Combine(RepoRoot.Path, "config", "sluice.yaml");

    [Fact]
    public void an_env_reference_is_the_variables_value_and_becomes_a_secret()
    {
        using var variable = new Variable();

        Assert.Equal(variable.Value, SecretReferences.Resolve($"${{env:{variable.Name}}}", "kafka.saslPassword"));
        Assert.Equal("user ***", SecretRedactor.Redact($"user {variable.Value}"));
    }

    [Fact]
    public void a_file_reference_is_the_files_content_less_one_trailing_newline()
    {
        using var dir = new TempDirectory();
        var secret = NewSecret();
        File.WriteAllText(dir.File("lf"), secret + "\n");
        File.WriteAllText(dir.File("crlf"), secret + "\r\n");
        File.WriteAllText(dir.File("two"), secret + "\n\n");
        File.WriteAllText(dir.File("none"), secret);

        Assert.Equal(secret, SecretReferences.Resolve($"${{file:{dir.File("lf")}}}", "k"));
        Assert.Equal(secret, SecretReferences.Resolve($"${{file:{dir.File("crlf")}}}", "k"));
        Assert.Equal(secret + "\n", SecretReferences.Resolve($"${{file:{dir.File("two")}}}", "k"));
        Assert.Equal(secret, SecretReferences.Resolve($"${{file:{dir.File("none")}}}", "k"));
    }

    [Fact]
    public void a_relative_file_path_is_taken_from_the_working_directory()
    {
        using var dir = new TempDirectory();
        var secret = NewSecret();
        File.WriteAllText(dir.File("pass.txt"), secret);
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, dir.File("pass.txt"));
        Assert.False(Path.IsPathRooted(relative));

        Assert.Equal(secret, SecretReferences.Resolve($"${{file:{relative}}}", "k"));
    }

    [Fact]
    public void references_inside_other_text_are_replaced_in_place_and_only_they_become_secrets()
    {
        using var password = new Variable();
        using var user = new Variable();

        var resolved = SecretReferences.Resolve($"Host=db;Username=${{env:{user.Name}}};Password=${{env:{password.Name}}};Database=sluice", "postgres.connectionString");

        Assert.Equal($"Host=db;Username={user.Value};Password={password.Value};Database=sluice", resolved);
        Assert.Equal("Host=db;Username=***;Password=***;Database=sluice", SecretRedactor.Redact(resolved));
    }

    [Theory]
    [InlineData("price$${env:X}", "price${env:X}")]
    [InlineData("$${file:/etc/passwd}", "${file:/etc/passwd}")]
    [InlineData("a $ b and $$ c", "a $ b and $$ c")]
    [InlineData("no reference", "no reference")]
    public void dollar_dollar_brace_is_a_literal_dollar_brace_and_other_dollars_are_left_alone(string value, string expected)
    {
        Assert.Equal(expected, SecretReferences.Resolve(value, "k"));
    }

    [Fact]
    public void what_a_reference_resolves_to_is_not_resolved_again()
    {
        using var inner = new Variable();
        using var outer = new Variable($"${{env:{inner.Name}}}");

        Assert.Equal($"${{env:{inner.Name}}}", SecretReferences.Resolve($"${{env:{outer.Name}}}", "k"));
    }

    [Fact]
    public void an_unset_variable_is_an_error_naming_the_key_and_the_variable_but_no_secret()
    {
        using var set = new Variable();
        var unset = $"SLUICE_TEST_UNSET_{Guid.NewGuid():N}";

        var ex = Assert.Throws<ConfigurationException>(() =>
            SecretReferences.Resolve($"Password=${{env:{set.Name}}};Other=${{env:{unset}}}", "postgres.connectionString"));

        Assert.Equal("postgres.connectionString", ex.Key);
        Assert.Contains(unset, ex.Message);
        Assert.Contains("is not set", ex.Message);
        Assert.DoesNotContain(set.Value, ex.Message);
    }

    [Fact]
    public void a_missing_file_is_an_error_naming_the_key_and_the_path()
    {
        using var dir = new TempDirectory();
        var path = dir.File("absent.txt");

        var ex = Assert.Throws<ConfigurationException>(() => SecretReferences.Resolve($"${{file:{path}}}", "schemaRegistry.basicAuthUserInfo"));

        Assert.Equal("schemaRegistry.basicAuthUserInfo", ex.Key);
        Assert.Contains(path, ex.Message);
        Assert.Contains("does not exist", ex.Message);
    }

    [Fact]
    public void a_directory_in_place_of_a_file_is_an_error_naming_the_key_and_the_path()
    {
        using var dir = new TempDirectory();

        var ex = Assert.Throws<ConfigurationException>(() => SecretReferences.Resolve($"${{file:{dir.Path}}}", "kafka.saslPassword"));

        Assert.Equal("kafka.saslPassword", ex.Key);
        Assert.Contains(dir.Path, ex.Message);
        Assert.Contains("cannot be read", ex.Message);
    }

    [Theory]
    [InlineData("Password=${hunter2-typed-in-place}")]
    [InlineData("Password=${vault:hunter2-typed-in-place}")]
    [InlineData("Password=${env:}")]
    [InlineData("Password=${env:hunter2-typed-in-place")]
    public void a_malformed_reference_is_an_error_that_quotes_nothing_of_the_value(string value)
    {
        var ex = Assert.Throws<ConfigurationException>(() => SecretReferences.Resolve(value, "postgres.connectionString"));

        Assert.Equal("postgres.connectionString", ex.Key);
        Assert.Contains("$${", ex.Message);
        Assert.DoesNotContain("hunter2", ex.Message);
    }

    [Fact]
    public void references_in_the_yaml_file_the_environment_and_set_are_resolved_before_binding()
    {
        using var dir = new TempDirectory();
        using var token = new Variable(NewSecret() + NewSecret());
        using var user = new Variable();
        var password = NewSecret();
        File.WriteAllText(dir.File("pg.txt"), password + "\n");
        File.WriteAllText(dir.File("sluice.yaml"), $"dashboard:\n  token: \"${{env:{token.Name}}}\"\n");
        using var connection = new Variable($"Host=db;Username=${{env:{user.Name}}};Password=${{file:{dir.File("pg.txt")}}}", "SLUICE__POSTGRES__CONNECTIONSTRING");

        var options = SluiceConfiguration.Load(dir.File("sluice.yaml"), [$"kafka.clientId=app-${{env:{user.Name}}}"]);

        Assert.Equal(token.Value, options.Dashboard.Token);
        Assert.Equal($"Host=db;Username={user.Value};Password={password}", options.Postgres.ConnectionString);
        Assert.Equal($"app-{user.Value}", options.Kafka.ClientId);
    }

    [Fact]
    public void only_the_value_that_wins_is_resolved()
    {
        var unset = $"SLUICE_TEST_UNSET_{Guid.NewGuid():N}";
        using var connection = new Variable($"Host=db;Password=${{env:{unset}}}", "SLUICE__POSTGRES__CONNECTIONSTRING");

        var options = SluiceConfiguration.Load(RepoConfig, ["postgres.connectionString=Host=other"]);

        Assert.Equal("Host=other", options.Postgres.ConnectionString);
    }

    [Fact]
    public void an_error_from_an_environment_variable_layer_names_the_key_as_the_options_spell_it()
    {
        var unset = $"SLUICE_TEST_UNSET_{Guid.NewGuid():N}";
        using var connection = new Variable($"Host=db;Password=${{env:{unset}}}", "SLUICE__POSTGRES__CONNECTIONSTRING");

        var ex = Assert.Throws<ConfigurationException>(() => SluiceConfiguration.Load(RepoConfig));

        Assert.Equal("postgres.connectionString", ex.Key);
        Assert.Contains(unset, ex.Message);
    }

    private static string NewSecret() => $"s3cr3t-{Guid.NewGuid():N}";

    /// <summary>An environment variable set for one test: a fresh name and a fresh secret unless given.</summary>
    private sealed class Variable : IDisposable
    {
        public Variable(string? value = null, string? name = null)
        {
            Name = name ?? $"SLUICE_TEST_SECRET_{Guid.NewGuid():N}";
            Value = value ?? NewSecret();
            Environment.SetEnvironmentVariable(Name, Value);
        }

        public string Name { get; }

        public string Value { get; }

        public void Dispose() => Environment.SetEnvironmentVariable(Name, null);
    }
}
