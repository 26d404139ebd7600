using System.Reflection;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.TestKit;

namespace Sluice.UnitTests.Configuration;

// Environment variables are process-wide: the tests that set them must not run beside other config tests.
[Collection(nameof(ConfigurationCollection))]
public sealed class SluiceConfigurationTests
{
    private static readonly string RepoConfig = Path.Combine(RepoRoot.Path, "config", "sluice.yaml");

    [Fact]
    public void shipped_yaml_file_binds_to_the_same_values_as_the_code_defaults()
    {
        var fromFile = SluiceConfiguration.Load(RepoConfig);
        var defaults = new SluiceOptions();
        Assert.Equal(Flatten(defaults), Flatten(fromFile));
    }

    [Fact]
    public void shipped_yaml_file_lists_every_key_with_a_comment()
    {
        var yaml = File.ReadAllLines(RepoConfig);
        foreach (var key in Flatten(new SluiceOptions()).Keys)
        {
            var leaf = key.Split('.')[^1];
            var line = Array.FindIndex(yaml, l => l.TrimStart().StartsWith(leaf + ":", StringComparison.Ordinal));
            Assert.True(line >= 0, $"config/sluice.yaml does not list {key}");
            Assert.True(yaml[line - 1].TrimStart().StartsWith('#'), $"config/sluice.yaml has no comment above {key}");
        }
    }

    [Fact]
    public void set_arguments_override_the_file()
    {
        var options = SluiceConfiguration.Load(RepoConfig, ["kafka.partitions=12", "processor.sessionGap=00:05:00"]);
        Assert.Equal(12, options.Kafka.Partitions);
        Assert.Equal(TimeSpan.FromMinutes(5), options.Processor.SessionGap);
    }

    [Fact]
    public void environment_variables_override_the_file_and_set_overrides_them()
    {
        Environment.SetEnvironmentVariable("SLUICE__GENERATOR__SEED", "7");
        try
        {
            Assert.Equal(7, SluiceConfiguration.Load(RepoConfig).Generator.Seed);
            Assert.Equal(9, SluiceConfiguration.Load(RepoConfig, ["generator.seed=9"]).Generator.Seed);
        }
        finally
        {
            Environment.SetEnvironmentVariable("SLUICE__GENERATOR__SEED", null);
        }
    }

    [Fact]
    public void unknown_key_is_an_error_naming_the_full_key()
    {
        var ex = Assert.Throws<ConfigurationException>(() => SluiceConfiguration.Load(RepoConfig, ["kafka.embedded.brokres=2"]));
        Assert.Equal("kafka.embedded.brokres", ex.Key);
        Assert.Contains("unknown key", ex.Message);
    }

    [Theory]
    [InlineData("processor.maxPriceCents=500", "price_above_maximum")]
    [InlineData("processor.maxFutureSkew=00:10:00", "timestamp_in_future")]
    [InlineData("processor.windowSize=00:05:00", "remove the key")]
    public void a_key_the_domain_file_now_holds_says_where_it_went(string set, string hint)
    {
        var ex = Assert.Throws<ConfigurationException>(() => SluiceConfiguration.Load(RepoConfig, [set]));
        Assert.Equal(set[..set.IndexOf('=', StringComparison.Ordinal)], ex.Key);
        Assert.Contains(hint, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("generator.users=abc", "generator.users", "whole number")]
    [InlineData("processor.sessionGap=soon", "processor.sessionGap", "hh:mm:ss")]
    [InlineData("generator.invalidRate=lots", "generator.invalidRate", "number")]
    public void unreadable_value_names_the_key_and_the_expected_form(string set, string key, string expected)
    {
        var ex = Assert.Throws<ConfigurationException>(() => SluiceConfiguration.Load(RepoConfig, [set]));
        Assert.Equal(key, ex.Key);
        Assert.Contains(expected, ex.Message);
    }

    [Theory]
    [InlineData("kafka.partitions=0", "kafka.partitions")]
    [InlineData("generator.invalidRate=1.5", "generator.invalidRate")]
    [InlineData("generator.rate=-1", "generator.rate")]
    [InlineData("generator.lateRate=-0.1", "generator.lateRate")]
    [InlineData("generator.outOfOrderRate=-0.1", "generator.outOfOrderRate")]
    [InlineData("generator.duplicateRate=-0.1", "generator.duplicateRate")]
    [InlineData("generator.botRate=-0.1", "generator.botRate")]
    [InlineData("generator.cdcRate=-0.1", "generator.cdcRate")]
    [InlineData("generator.anonymousShare=1.5", "generator.anonymousShare")]
    [InlineData("generator.products=0", "generator.products")]
    [InlineData("generator.concurrentSessions=-1", "generator.concurrentSessions")]
    [InlineData("generator.speed=fast", "generator.speed")]
    [InlineData("generator.speed=-2x", "generator.speed")]
    [InlineData("processor.checkpointInterval=5", "processor.checkpointInterval")]
    [InlineData("processor.guarantee=exactly-once", "processor.guarantee")]
    [InlineData("logging.format=xml", "logging.format")]
    [InlineData("kafka.bootstrapServers=localhost", "kafka.bootstrapServers")]
    [InlineData("kafka.securityProtocol=tls", "kafka.securityProtocol")]
    [InlineData("kafka.saslMechanism=BOGUS", "kafka.saslMechanism")]
    [InlineData("kafka.connectTimeout=99999:00:00", "kafka.connectTimeout")]
    [InlineData("generator.rate=NaN", "generator.rate")]
    public void out_of_range_value_names_the_key(string set, string key)
    {
        var ex = Assert.Throws<ConfigurationException>(() => SluiceConfiguration.Load(RepoConfig, [set]));
        Assert.Equal(key, ex.Key);
    }

    [Fact]
    public void exactly_once_refuses_a_checkpoint_interval_longer_than_a_transaction_may_stay_open()
    {
        var ex = Assert.Throws<ConfigurationException>(() =>
            SluiceConfiguration.Load(RepoConfig, ["processor.guarantee=exactly_once", "processor.checkpointInterval=00:10:00"]));
        Assert.Equal("processor.checkpointInterval", ex.Key);
        Assert.True(SluiceConfiguration.Load(RepoConfig, ["processor.guarantee=exactly_once"]).Processor.ExactlyOnce);
    }

    [Fact]
    public void fault_shares_adding_up_to_more_than_one_name_the_invalid_rate()
    {
        var ex = Assert.Throws<ConfigurationException>(() =>
            SluiceConfiguration.Load(RepoConfig, ["generator.invalidRate=0.6", "generator.outOfOrderRate=0.5"]));
        Assert.Equal("generator.invalidRate", ex.Key);
    }

    [Theory]
    [InlineData("max")]
    [InlineData("realtime")]
    [InlineData("60x")]
    [InlineData("0.5")]
    public void speed_accepts_max_realtime_and_factors(string speed)
    {
        Assert.Equal(speed, SluiceConfiguration.Load(RepoConfig, ["generator.speed=" + speed]).Generator.Speed);
    }

    [Theory]
    [InlineData("kafka.saslMechanism=PLAIN", "kafka.saslMechanism")]
    [InlineData("kafka.saslUsername=svc", "kafka.saslUsername")]
    [InlineData("kafka.saslPassword=secret", "kafka.saslPassword")]
    public void sasl_settings_without_a_sasl_protocol_name_both_keys(string set, string key)
    {
        var ex = Assert.Throws<ConfigurationException>(() => SluiceConfiguration.Load(RepoConfig, [set]));
        Assert.Equal(key, ex.Key);
        Assert.Contains("kafka.securityProtocol", ex.Message);
        Assert.DoesNotContain("secret", ex.Message);
    }

    [Theory]
    [InlineData(new[] { "kafka.securityProtocol=sasl_ssl" }, "kafka.saslMechanism")]
    [InlineData(new[] { "kafka.securityProtocol=sasl_plaintext", "kafka.saslMechanism=PLAIN" }, "kafka.saslUsername")]
    [InlineData(new[] { "kafka.securityProtocol=sasl_ssl", "kafka.saslMechanism=scram-sha-512", "kafka.saslUsername=svc" }, "kafka.saslPassword")]
    public void a_sasl_protocol_needs_mechanism_user_and_password(string[] sets, string missing)
    {
        var ex = Assert.Throws<ConfigurationException>(() => SluiceConfiguration.Load(RepoConfig, sets));
        Assert.Equal(missing, ex.Key);
    }

    [Fact]
    public void complete_sasl_settings_are_accepted()
    {
        var options = SluiceConfiguration.Load(RepoConfig,
            ["kafka.securityProtocol=sasl_ssl", "kafka.saslMechanism=SCRAM-SHA-256", "kafka.saslUsername=svc", "kafka.saslPassword=secret"]);
        Assert.True(options.Kafka.UsesSasl);
    }

    [Fact]
    public void set_without_equals_sign_explains_the_form()
    {
        var ex = Assert.Throws<SluiceException>(() => SluiceConfiguration.Load(RepoConfig, ["kafka.partitions"]));
        Assert.Contains("key=value", ex.Message);
    }

    [Theory]
    [InlineData("kafka:\n  partitions: 6\n bad indent: x\n", "invalid YAML at line 3, column 2: ")]
    // YamlDotNet points at the end of the file; the report points at the bracket.
    [InlineData("kafka:\n  partitions: [1,2\n\n\nlogging:\n  format: json\n", "invalid YAML: the '[' at line 2, column 15 is never closed; close it with ']'")]
    public void invalid_yaml_names_the_file_and_the_line(string yaml, string expected)
    {
        using var dir = new TempDirectory();
        var path = dir.File("bad.yaml");
        File.WriteAllText(path, yaml);
        var ex = Assert.Throws<SluiceException>(() => SluiceConfiguration.Load(path));
        Assert.StartsWith($"configuration file {path}: {expected}", ex.Message);
    }

    [Fact]
    public void missing_config_file_is_an_error_naming_the_file()
    {
        var ex = Assert.Throws<SluiceException>(() => SluiceConfiguration.Load("/nonexistent/sluice.yaml"));
        Assert.Contains("/nonexistent/sluice.yaml", ex.Message);
    }

    // Every leaf option as "section.key" => value text, discovered by reflection so new keys are covered.
    private static SortedDictionary<string, string> Flatten(object options, string prefix = "")
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in options.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            var key = prefix + char.ToLowerInvariant(p.Name[0]) + p.Name[1..];
            var value = p.GetValue(options);
            // A map (ingest.columns) is one key whose value is its entries.
            if (value is System.Collections.IDictionary map)
                result[key] = string.Join(",", map.Keys.Cast<object>().Select(k => $"{k}={map[k]}").Order(StringComparer.Ordinal));
            else if (p.PropertyType.IsClass && p.PropertyType != typeof(string))
                foreach (var (k, v) in Flatten(value!, key + ".")) result[k] = v;
            else
                result[key] = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "";
        }
        return result;
    }

    [Theory]
    [InlineData("postgres.connectionString=Host=db;Password='unclosed-secret", "postgres.connectionString")]
    [InlineData("postgres.connectionString=Username=sluice;Password=s3cret-value", "postgres.connectionString")]
    [InlineData("sinks.batchSize=0", "sinks.batchSize")]
    [InlineData("sinks.batchInterval=00:00:00", "sinks.batchInterval")]
    [InlineData("sinks.postgres.groupId= ", "sinks.postgres.groupId")]
    public void invalid_sink_settings_name_the_key_and_never_quote_a_connection_string(string set, string key)
    {
        var ex = Assert.Throws<ConfigurationException>(() => SluiceConfiguration.Load(RepoConfig, [set]));
        Assert.Equal(key, ex.Key);
        Assert.DoesNotContain("secret", ex.Message);
    }

    [Fact]
    public void sink_settings_have_their_documented_defaults()
    {
        var options = SluiceConfiguration.Load(RepoConfig, ["postgres.connectionString=Host=localhost;Username=sluice;Password=x;Database=sluice"]);
        Assert.Equal(10_000, options.Sinks.BatchSize);
        Assert.Equal(TimeSpan.FromSeconds(1), options.Sinks.BatchInterval);
        Assert.Equal("sluice-sink-postgres", options.Sinks.Postgres.GroupId);
    }

    [Fact]
    public void the_warehouse_defaults_to_a_file_under_data_with_its_own_sink_group()
    {
        var options = SluiceConfiguration.Load(RepoConfig, []);
        Assert.Equal("./data/sluice.duckdb", options.Warehouse.Path);
        Assert.Equal("sluice-sink-duckdb", options.Sinks.DuckDb.GroupId);
        Assert.Equal("/tmp/w.duckdb", SluiceConfiguration.Load(RepoConfig, ["warehouse.path=/tmp/w.duckdb"]).Warehouse.Path);
    }

    [Theory]
    [InlineData("warehouse.path= ", "warehouse.path", "must")]
    [InlineData("warehouse.path=/tmp", "warehouse.path", "is a directory")]
    [InlineData("sinks.duckdb.groupId= ", "sinks.duckdb.groupId", "must")]
    public void invalid_warehouse_settings_name_the_key(string set, string key, string says)
    {
        var ex = Assert.Throws<ConfigurationException>(() => SluiceConfiguration.Load(RepoConfig, [set]));
        Assert.Equal(key, ex.Key);
        Assert.Contains(says, ex.Message);
    }
}

[CollectionDefinition(nameof(ConfigurationCollection), DisableParallelization = true)]
public sealed class ConfigurationCollection;
