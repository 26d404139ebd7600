using Sluice.Core.Errors;

namespace Sluice.Core.Configuration;

/// <summary>All of Sluice's settings, bound from config/sluice.yaml, SLUICE__ variables and --set.</summary>
/// <remarks>Keys are the property names in lowerCamelCase, dotted by section: <c>kafka.bootstrapServers</c>.</remarks>
public sealed class SluiceOptions
{
    public KafkaOptions Kafka { get; set; } = new();
    public GeneratorOptions Generator { get; set; } = new();
    public ProcessorOptions Processor { get; set; } = new();
    public SchemaRegistryOptions SchemaRegistry { get; set; } = new();
    public PostgresOptions Postgres { get; set; } = new();
    public SinksOptions Sinks { get; set; } = new();
    public LakeOptions Lake { get; set; } = new();
    public WarehouseOptions Warehouse { get; set; } = new();
    public LoggingOptions Logging { get; set; } = new();
    public ObserveOptions Observe { get; set; } = new();
    public DashboardOptions Dashboard { get; set; } = new();
    public QualityOptions Quality { get; set; } = new();
    public IngestOptions Ingest { get; set; } = new();

    /// <summary>Throws <see cref="ConfigurationException"/> for the first invalid value, naming the key.</summary>
    public void Validate()
    {
        Kafka.Validate();
        Generator.Validate();
        Processor.Validate();
        SchemaRegistry.Validate();
        if (Processor.Checkpoint.Store.Equals("postgres", StringComparison.OrdinalIgnoreCase) && string.IsNullOrWhiteSpace(Postgres.ConnectionString))
            ThrowHelper.ThrowConfiguration("processor.checkpoint.store", "postgres needs postgres.connectionString; set it, or use the directory store");
        Postgres.Validate();
        Sinks.Validate();
        Lake.Validate();
        Warehouse.Validate();
        Logging.Validate();
        Observe.Validate(Dashboard);
        Quality.Validate();
        Ingest.Validate();
    }
}

public sealed class KafkaOptions
{
    /// <summary>host:port list of a Kafka cluster; empty starts the embedded broker.</summary>
    public string BootstrapServers { get; set; } = "";
    public string ClientId { get; set; } = "sluice";
    /// <summary>plaintext, ssl, sasl_plaintext or sasl_ssl.</summary>
    public string SecurityProtocol { get; set; } = "plaintext";
    /// <summary>PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512; empty for no SASL.</summary>
    public string SaslMechanism { get; set; } = "";
    public string SaslUsername { get; set; } = "";
    /// <summary>Never logged.</summary>
    public string SaslPassword { get; set; } = "";
    public EmbeddedBrokerOptions Embedded { get; set; } = new();
    public TopicOptions Topics { get; set; } = new();
    /// <summary>Partitions for topics Sluice creates; the unit of parallelism.</summary>
    public int Partitions { get; set; } = 6;
    /// <summary>How long to wait for a broker to answer before giving up with an error.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>Records a producer holds before its caller waits (back-pressure): librdkafka's queue.buffering.max.messages.</summary>
    public int ProducerQueueMessages { get; set; } = 100_000;
    /// <summary>Megabytes a producer holds before its caller waits: librdkafka's queue.buffering.max.kbytes.</summary>
    public int ProducerQueueMegabytes { get; set; } = 64;
    /// <summary>Megabytes a consumer fetches ahead of the application: librdkafka's queued.max.messages.kbytes.</summary>
    public int ConsumerPrefetchMegabytes { get; set; } = 16;
    /// <summary>How long commands keep retrying when every broker has stopped answering (from the last answer), not ready meanwhile, before exiting with an error.</summary>
    public TimeSpan UnavailableDeadline { get; set; } = TimeSpan.FromMinutes(2);
    /// <summary>Consumer-group session timeout: a member silent this long is dropped; also how long the embedded broker takes per rebalance.</summary>
    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromSeconds(45);

    public bool UseEmbeddedBroker => string.IsNullOrWhiteSpace(BootstrapServers);

    internal void Validate()
    {
        Check.Range("kafka.partitions", Partitions, 1, 10_000);
        Check.Range("kafka.embedded.brokers", Embedded.Brokers, 1, 16);
        Check.Positive("kafka.connectTimeout", ConnectTimeout, max: TimeSpan.FromHours(1));
        Check.Positive("kafka.unavailableDeadline", UnavailableDeadline, max: TimeSpan.FromDays(7));
        Check.Range("kafka.producerQueueMessages", ProducerQueueMessages, 1_000, 10_000_000);
        Check.Range("kafka.producerQueueMegabytes", ProducerQueueMegabytes, 1, 2_097_151);
        Check.Range("kafka.consumerPrefetchMegabytes", ConsumerPrefetchMegabytes, 1, 2_097_151);
        if (UnavailableDeadline < ConnectTimeout)
            ThrowHelper.ThrowConfiguration("kafka.unavailableDeadline", $"{UnavailableDeadline} is shorter than kafka.connectTimeout ({ConnectTimeout}), after which brokers count as unreachable; make it at least as long");
        if (SessionTimeout < TimeSpan.FromSeconds(1) || SessionTimeout > TimeSpan.FromMinutes(30))
            ThrowHelper.ThrowConfiguration("kafka.sessionTimeout", $"{SessionTimeout} is out of range; allowed 00:00:01 to 00:30:00 (brokers also bound it)");
        Check.OneOf("kafka.securityProtocol", SecurityProtocol, "plaintext", "ssl", "sasl_plaintext", "sasl_ssl");
        ValidateSasl();
        Check.NotEmpty("kafka.clientId", ClientId);
        Check.NotEmpty("kafka.topics.events", Topics.Events);
        Check.NotEmpty("kafka.topics.dlq", Topics.Dlq);
        Check.NotEmpty("kafka.topics.cdcUsers", Topics.CdcUsers);
        if (!UseEmbeddedBroker)
        {
            foreach (var server in BootstrapServers.Split(',', StringSplitOptions.TrimEntries))
            {
                var colon = server.LastIndexOf(':');
                if (colon <= 0 || !int.TryParse(server.AsSpan(colon + 1), out var port) || port is < 1 or > 65535)
                    ThrowHelper.ThrowConfiguration("kafka.bootstrapServers", $"'{server}' is not host:port; write for example localhost:9092, or leave it empty for the embedded broker");
            }
        }
    }

    /// <summary>True when <see cref="SecurityProtocol"/> authenticates with SASL.</summary>
    public bool UsesSasl => SecurityProtocol.StartsWith("sasl_", StringComparison.OrdinalIgnoreCase);

    // librdkafka would ignore SASL settings under plaintext or ssl, and refuse to start without a user name and password;
    // either way the user learns it late, or never.
    private void ValidateSasl()
    {
        if (SaslMechanism.Length > 0 && !SaslMechanisms.Contains(SaslMechanism, StringComparer.OrdinalIgnoreCase))
            ThrowHelper.ThrowConfiguration("kafka.saslMechanism", $"'{SaslMechanism}' is not allowed; use {string.Join(", ", SaslMechanisms)}, or leave it empty for no SASL");
        if (!UsesSasl)
        {
            var set = new[] { ("kafka.saslMechanism", SaslMechanism), ("kafka.saslUsername", SaslUsername), ("kafka.saslPassword", SaslPassword) }
                .FirstOrDefault(k => k.Item2.Length > 0).Item1;
            if (set is not null)
                ThrowHelper.ThrowConfiguration(set, $"SASL settings need kafka.securityProtocol sasl_plaintext or sasl_ssl, but it is {SecurityProtocol}, " +
                    "which sends no credentials; set kafka.securityProtocol, or leave the SASL keys empty");
            return;
        }
        if (SaslMechanism.Length == 0)
            ThrowHelper.ThrowConfiguration("kafka.saslMechanism", $"must be set when kafka.securityProtocol is {SecurityProtocol}; use {string.Join(", ", SaslMechanisms)}");
        if (SaslUsername.Length == 0)
            ThrowHelper.ThrowConfiguration("kafka.saslUsername", $"must be set when kafka.securityProtocol is {SecurityProtocol}");
        if (SaslPassword.Length == 0)
            ThrowHelper.ThrowConfiguration("kafka.saslPassword", $"must be set when kafka.securityProtocol is {SecurityProtocol}; set it through SLUICE__KAFKA__SASLPASSWORD");
    }

    /// <summary>The SASL mechanisms Sluice passes to librdkafka.</summary>
    public static IReadOnlyList<string> SaslMechanisms { get; } = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"];
}

public sealed class EmbeddedBrokerOptions
{
    /// <summary>Brokers in the in-process mock cluster.</summary>
    public int Brokers { get; set; } = 1;
}

public sealed class TopicOptions
{
    public string Events { get; set; } = "clickstream.events";
    public string Dlq { get; set; } = "clickstream.dlq";
    public string CdcUsers { get; set; } = "clickstream.cdc.users";
}

public sealed class GeneratorOptions
{
    public int Users { get; set; } = 10_000;
    public long Seed { get; set; } = 42;
    /// <summary>Products in the catalog.</summary>
    public int Products { get; set; } = 2_000;
    /// <summary>Sessions in progress at once (simulated traffic volume); 0 means one per 100 users.</summary>
    public int ConcurrentSessions { get; set; }
    /// <summary>Share of visitors who never log in, 0 to 1.</summary>
    public double AnonymousShare { get; set; } = 0.3;
    /// <summary>Events per second; 0 produces as fast as possible (or at <see cref="Speed"/>).</summary>
    public double Rate { get; set; }
    /// <summary>max, realtime, or a factor of real time such as 60x; <see cref="Rate"/> wins when set.</summary>
    public string Speed { get; set; } = "max";
    /// <summary>Share of events made malformed on purpose, 0 to 1.</summary>
    public double InvalidRate { get; set; } = 0.01;
    /// <summary>Share of events delivered minutes late, 0 to 1.</summary>
    public double LateRate { get; set; } = 0.005;
    /// <summary>Share of events delivered out of order within the processor's bound, 0 to 1.</summary>
    public double OutOfOrderRate { get; set; } = 0.02;
    /// <summary>Share of records that repeat an earlier event, 0 to 1.</summary>
    public double DuplicateRate { get; set; } = 0.005;
    /// <summary>Share of records from crawlers and HTTP tools, 0 to 1.</summary>
    public double BotRate { get; set; } = 0.02;
    /// <summary>Emit user-profile changes (CDC) beside the clicks.</summary>
    public bool Cdc { get; set; } = true;
    /// <summary>Profile changes per click record, 0 to 1.</summary>
    public double CdcRate { get; set; } = 0.002;

    internal void Validate()
    {
        Check.Range("generator.users", Users, 1, 50_000_000);
        Check.Range("generator.products", Products, 1, 10_000_000);
        Check.Range("generator.concurrentSessions", ConcurrentSessions, 0, 1_000_000);
        if (!(Rate is >= 0 and <= 100_000_000))
            ThrowHelper.ThrowConfiguration("generator.rate", $"{Rate} is out of range; allowed 0 (no limit) to 100000000 events per second");
        Check.Share("generator.anonymousShare", AnonymousShare);
        Check.Share("generator.invalidRate", InvalidRate);
        Check.Share("generator.lateRate", LateRate);
        Check.Share("generator.outOfOrderRate", OutOfOrderRate);
        Check.Share("generator.duplicateRate", DuplicateRate);
        Check.Share("generator.botRate", BotRate);
        Check.Share("generator.cdcRate", CdcRate);
        if (InvalidRate + LateRate + OutOfOrderRate > 1)
            ThrowHelper.ThrowConfiguration("generator.invalidRate", $"invalid ({InvalidRate}) + late ({LateRate}) + out-of-order ({OutOfOrderRate}) rates add up to more than 1");
        var speed = Speed.Trim();
        if (!speed.Equals("max", StringComparison.OrdinalIgnoreCase) && !speed.Equals("realtime", StringComparison.OrdinalIgnoreCase)
            && !(double.TryParse(speed.EndsWith('x') ? speed[..^1] : speed, System.Globalization.NumberStyles.Float,
                System.Globalization.CultureInfo.InvariantCulture, out var factor) && factor > 0 && !double.IsInfinity(factor)))
            ThrowHelper.ThrowConfiguration("generator.speed", $"'{Speed}' is not max, realtime or a positive factor such as 60x");
    }
}

public sealed class ProcessorOptions
{
    public string GroupId { get; set; } = "sluice-processor";
    /// <summary>The domain file whose fields and rules the processors apply; empty: the built-in e-commerce domain (config/domains/ecommerce.yaml).</summary>
    public string Domain { get; set; } = "";
    /// <summary>How far behind the newest event an event may arrive and still count.</summary>
    public TimeSpan MaxOutOfOrderness { get; set; } = TimeSpan.FromMinutes(2);

    // The clickstream topology's thresholds and state limits. These are its defaults too (ClickstreamOptions reads
    // them from here); ClickstreamProcessor.Validate checks them, naming the processor.* key, before `process` or `demo` starts anything.

    /// <summary>Processing time after which a silent partition no longer holds the watermark back.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(1);
    /// <summary>How long a window stays open past its end for stragglers.</summary>
    public TimeSpan AllowedLateness { get; set; } = TimeSpan.Zero;
    /// <summary>A repeated event_id is dropped within this much event time of the first.</summary>
    public TimeSpan DedupHorizon { get; set; } = TimeSpan.FromHours(1);
    /// <summary>Event ids remembered per partition at most.</summary>
    public int DedupMaxEntries { get; set; } = 2_000_000;
    /// <summary>Inactivity that ends a session.</summary>
    public TimeSpan SessionGap { get; set; } = TimeSpan.FromMinutes(30);
    /// <summary>Open sessions per partition at most.</summary>
    public int MaxOpenSessions { get; set; } = 1_000_000;
    /// <summary>Window-store entries per aggregate and partition at most.</summary>
    public int MaxWindowEntries { get; set; } = 100_000;
    /// <summary>Products listed per hourly window.</summary>
    public int TopProducts { get; set; } = 10;
    /// <summary>Categories listed per hourly window.</summary>
    public int TopCategories { get; set; } = 5;
    /// <summary>Read kafka.topics.cdcUsers into the SCD2 user dimension and join each event to the profile in effect at its time.</summary>
    public bool UserDimension { get; set; } = true;
    /// <summary>How long (event time behind the watermark) a joined event can still be corrected by a change that arrives after it.</summary>
    public TimeSpan CorrectionHorizon { get; set; } = TimeSpan.FromHours(1);
    /// <summary>Joined events remembered per partition for corrections at most.</summary>
    public int MaxJoinedEvents { get; set; } = 2_000_000;

    /// <summary>How often every task's state is checkpointed with its input offsets (also on revocation and on stop).</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>at_least_once (outputs flushed, then offsets committed) or exactly_once (outputs and offsets in one Kafka transaction per checkpoint).</summary>
    public string Guarantee { get; set; } = "at_least_once";

    /// <summary>True when <see cref="Guarantee"/> is exactly_once.</summary>
    public bool ExactlyOnce => Guarantee.Equals("exactly_once", StringComparison.OrdinalIgnoreCase);

    /// <summary>The most a transaction may stay open under exactly_once: brokers abort older ones (transaction.max.timeout.ms, 15 min by default).</summary>
    public static readonly TimeSpan MaxTransactionInterval = TimeSpan.FromMinutes(5);
    /// <summary>Where checkpoints are kept.</summary>
    public CheckpointOptions Checkpoint { get; set; } = new();

    internal void Validate()
    {
        Check.NotEmpty("processor.groupId", GroupId);
        if (MaxOutOfOrderness < TimeSpan.Zero)
            ThrowHelper.ThrowConfiguration("processor.maxOutOfOrderness", "must be zero or positive, for example 00:02:00");
        Check.Positive("processor.checkpointInterval", CheckpointInterval, max: TimeSpan.FromDays(1));
        Check.OneOf("processor.guarantee", Guarantee, "at_least_once", "exactly_once");
        if (ExactlyOnce && CheckpointInterval > MaxTransactionInterval)
            ThrowHelper.ThrowConfiguration("processor.checkpointInterval", $"{CheckpointInterval} is longer than the {MaxTransactionInterval} a transaction may stay open with processor.guarantee exactly_once (each checkpoint commits one); shorten it");
        Check.OneOf("processor.checkpoint.store", Checkpoint.Store, "directory", "postgres");
        Check.NotEmpty("processor.checkpoint.directory", Checkpoint.Directory);
    }
}

public sealed class CheckpointOptions
{
    /// <summary>directory (files on this machine) or postgres (the table sluice_checkpoints at postgres.connectionString).</summary>
    public string Store { get; set; } = "directory";
    /// <summary>Folder of the directory store, relative to the working directory.</summary>
    public string Directory { get; set; } = "./data/checkpoints";
}

public sealed class SchemaRegistryOptions
{
    /// <summary>Base URL of a Confluent-compatible schema registry; empty uses the embedded one.</summary>
    public string Url { get; set; } = "";
    /// <summary>HTTP basic auth for <see cref="Url"/> as <c>user:password</c>; empty sends none. A secret: never logged.</summary>
    public string BasicAuthUserInfo { get; set; } = "";
    /// <summary>Where the embedded registry keeps its schemas between runs; empty: see <see cref="StateFilePath"/>.</summary>
    public string StateFile { get; set; } = "";

    /// <summary>
    /// The state file's absolute path: <see cref="StateFile"/> resolved against the working directory, or when that is
    /// empty <c>$XDG_STATE_HOME/sluice/schemas.json</c> (default <c>~/.local/state/sluice/schemas.json</c>), so that a
    /// registry started from another folder finds the same schemas.
    /// </summary>
    public string StateFilePath(Func<string, string?>? environment = null)
    {
        if (StateFile.Length > 0) return Path.GetFullPath(StateFile);
        environment ??= Environment.GetEnvironmentVariable;
        var state = environment("XDG_STATE_HOME");
        if (string.IsNullOrEmpty(state) || !Path.IsPathRooted(state))
        {
            var home = environment("HOME");
            if (string.IsNullOrEmpty(home)) home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            if (string.IsNullOrEmpty(home))
                ThrowHelper.ThrowConfiguration("schemaRegistry.stateFile", "no home folder to keep the registry's schemas in; give a path, for example /var/lib/sluice/schemas.json");
            state = Path.Combine(home, ".local", "state");
        }
        return Path.Combine(state, "sluice", "schemas.json");
    }

    internal void Validate()
    {
        if (Url.Length > 0 && (!Uri.TryCreate(Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
            ThrowHelper.ThrowConfiguration("schemaRegistry.url", $"'{Url}' is not an http(s) URL; write for example http://localhost:8081, or leave it empty for the embedded registry");
    }
}

public sealed class PostgresOptions
{
    /// <summary>Npgsql connection string: the database the PostgreSQL sink writes, and the checkpoint store's when
    /// <c>processor.checkpoint.store</c> is postgres. A secret: never logged.</summary>
    public string ConnectionString { get; set; } = "";

    internal void Validate()
    {
        if (ConnectionString.Length == 0) return;
        // Checked for shape only, and the value never quoted: it usually holds a password.
        var builder = new System.Data.Common.DbConnectionStringBuilder();
        try
        {
            builder.ConnectionString = ConnectionString;
        }
        catch (ArgumentException)
        {
            ThrowHelper.ThrowConfiguration("postgres.connectionString", "is not a list of key=value pairs separated by ';'; write for example Host=localhost;Username=sluice;Database=sluice");
        }
        if (!builder.ContainsKey("Host") && !builder.ContainsKey("Server"))
            ThrowHelper.ThrowConfiguration("postgres.connectionString", "names no Host; write for example Host=localhost;Username=sluice;Database=sluice");
    }
}

public sealed class SinksOptions
{
    /// <summary>Records written to a store in one transaction at most.</summary>
    public int BatchSize { get; set; } = 10_000;
    /// <summary>A batch that has not filled is written after this long.</summary>
    public TimeSpan BatchInterval { get; set; } = TimeSpan.FromSeconds(1);
    /// <summary>The longest wait between two attempts to write a batch while the store is down.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(5);
    public SinkOptions Postgres { get; set; } = new() { GroupId = "sluice-sink-postgres" };
    public SinkOptions Lake { get; set; } = new() { GroupId = "sluice-sink-lake" };
    public SinkOptions DuckDb { get; set; } = new() { GroupId = "sluice-sink-duckdb" };
    public ClickHouseSinkOptions ClickHouse { get; set; } = new();

    internal void Validate()
    {
        Check.Range("sinks.batchSize", BatchSize, 1, 1_000_000);
        Check.Positive("sinks.batchInterval", BatchInterval, max: TimeSpan.FromMinutes(10));
        Check.Positive("sinks.maxRetryDelay", MaxRetryDelay, max: TimeSpan.FromHours(1));
        Check.NotEmpty("sinks.postgres.groupId", Postgres.GroupId);
        Check.NotEmpty("sinks.lake.groupId", Lake.GroupId);
        Check.NotEmpty("sinks.duckdb.groupId", DuckDb.GroupId);
        ClickHouse.Validate();
    }
}

/// <summary>The ClickHouse sink: its group, and the server it writes over HTTP (<c>sinks.clickhouse.*</c>).</summary>
public sealed class ClickHouseSinkOptions
{
    /// <summary>The sink's Kafka consumer group; its offsets are stored in ClickHouse (<c>sink_offsets</c>).</summary>
    public string GroupId { get; set; } = "sluice-sink-clickhouse";
    /// <summary>The server's HTTP interface, http(s)://host:port; empty when no ClickHouse sink runs.</summary>
    public string Url { get; set; } = "";
    /// <summary>The database the sink creates (if missing) and writes.</summary>
    public string Database { get; set; } = "sluice";
    public string User { get; set; } = "default";
    /// <summary>Never logged.</summary>
    public string Password { get; set; } = "";

    internal void Validate()
    {
        Check.NotEmpty("sinks.clickhouse.groupId", GroupId);
        Check.NotEmpty("sinks.clickhouse.database", Database);
        Check.NotEmpty("sinks.clickhouse.user", User);
        // Database names go into DDL as identifiers: keep them to what needs no quoting.
        if (!Database.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') || char.IsAsciiDigit(Database[0]))
            ThrowHelper.ThrowConfiguration("sinks.clickhouse.database", $"'{Database}' is not a plain identifier; use letters, digits and _, not starting with a digit");
        if (Url.Length > 0 && (!Uri.TryCreate(Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Host.Length == 0))
            ThrowHelper.ThrowConfiguration("sinks.clickhouse.url", "is not an http(s) URL of ClickHouse's HTTP interface; write for example http://localhost:8123");
        // Logs and errors name the URL: credentials go in their own keys, the password by reference.
        if (Url.Length > 0 && new Uri(Url).UserInfo.Length > 0)
            ThrowHelper.ThrowConfiguration("sinks.clickhouse.url", "holds a user or password; set sinks.clickhouse.user and sinks.clickhouse.password instead");
    }
}

public sealed class LakeOptions
{
    /// <summary>Folder of the lake's Delta tables (bronze/, silver/, gold/), relative to the working directory.</summary>
    public string Path { get; set; } = "./data/lake";
    /// <summary>Stable ids remembered per table, newest first, to skip rows the processor wrote twice.</summary>
    public int RecentIds { get; set; } = 1_000_000;

    internal void Validate()
    {
        Check.NotEmpty("lake.path", Path);
        if (Path.IndexOfAny(System.IO.Path.GetInvalidPathChars()) >= 0)
            ThrowHelper.ThrowConfiguration("lake.path", $"'{Path}' holds characters no path may hold; write a folder such as ./data/lake");
        if (File.Exists(Path))
            ThrowHelper.ThrowConfiguration("lake.path", $"'{Path}' is a file; name a folder (created if missing), such as ./data/lake");
        Check.Range("lake.recentIds", RecentIds, 0, 100_000_000);
    }
}

public sealed class WarehouseOptions
{
    /// <summary>The DuckDB file the warehouse sink writes and <c>sluice sql</c> reads; its directory is checked for writing when a sink starts.</summary>
    public string Path { get; set; } = "./data/sluice.duckdb";

    internal void Validate()
    {
        Check.NotEmpty("warehouse.path", Path);
        if (Directory.Exists(Path))
            ThrowHelper.ThrowConfiguration("warehouse.path", $"{Path} is a directory; name the DuckDB file in it, for example {System.IO.Path.Combine(Path, "sluice.duckdb")}");
    }
}

public sealed class SinkOptions
{
    /// <summary>The sink's Kafka consumer group; its offsets are stored in the sink's own store, atomically with the rows.</summary>
    public string GroupId { get; set; } = "";
}

/// <summary>The file source, <c>sluice ingest</c>: which staging directory it watches and how it reads other tools' files.</summary>
public sealed class IngestOptions
{
    /// <summary>The v3 click-event field names a column may be mapped to.</summary>
    public static IReadOnlyList<string> EventFields => Events.ClickEventJson.FieldNames;

    /// <summary>The staging directory; <c>--dir</c> wins.</summary>
    public string Directory { get; set; } = "staging";
    /// <summary>Column (CSV header) or JSON field name of other tools' files → v3 field name; names not listed are read as they are.</summary>
    public Dictionary<string, string> Columns { get; set; } = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>How often the directory is listed while watching (a file-system event also wakes it).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);
    /// <summary>A file not written as .tmp and renamed is read once its size and write time have not changed for this long.</summary>
    public TimeSpan SettleTime { get; set; } = TimeSpan.FromSeconds(2);
    /// <summary>Rows between two records of a file's progress in the manifest; a crash re-sends at most this many.</summary>
    public int CheckpointRows { get; set; } = 50_000;

    internal void Validate()
    {
        Check.NotEmpty("ingest.directory", Directory);
        if (File.Exists(Directory))
            ThrowHelper.ThrowConfiguration("ingest.directory", $"'{Directory}' is a file; name the staging folder, such as staging");
        foreach (var (column, field) in Columns)
        {
            if (!EventFields.Contains(field, StringComparer.Ordinal))
                ThrowHelper.ThrowConfiguration($"ingest.columns.{column}", $"'{field}' is not a field of the click event; map the column to one of {string.Join(", ", EventFields)}");
        }
        var targets = Columns.GroupBy(c => c.Value, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (targets is not null)
            ThrowHelper.ThrowConfiguration($"ingest.columns.{targets.Last().Key}", $"maps to {targets.Key} as {targets.First().Key} does; map one column to each field");
        Check.Positive("ingest.pollInterval", PollInterval, max: TimeSpan.FromHours(1));
        if (SettleTime < TimeSpan.Zero || SettleTime > TimeSpan.FromHours(1))
            ThrowHelper.ThrowConfiguration("ingest.settleTime", $"{SettleTime} is out of range; allowed 00:00:00 to 01:00:00");
        Check.Range("ingest.checkpointRows", CheckpointRows, 1, 100_000_000);
    }
}

public sealed class LoggingOptions
{
    /// <summary>console (readable) or json (one object per line).</summary>
    public string Format { get; set; } = "console";
    public string Level { get; set; } = "Information";

    internal void Validate()
    {
        Check.OneOf("logging.format", Format, "console", "json");
        Check.OneOf("logging.level", Level, "Trace", "Debug", "Information", "Warning", "Error", "Critical", "None");
    }
}

internal static class Check
{
    public static void Range(string key, int value, int min, int max)
    {
        if (value < min || value > max) ThrowHelper.ThrowConfiguration(key, $"{value} is out of range; allowed {min} to {max}");
    }

    public static void Positive(string key, TimeSpan value, TimeSpan? max = null)
    {
        if (value <= TimeSpan.Zero) ThrowHelper.ThrowConfiguration(key, $"{value} must be positive, written hh:mm:ss (for example 00:01:00)");
        if (value > max) ThrowHelper.ThrowConfiguration(key, $"{value} is longer than the {max} allowed; write hh:mm:ss, for example 00:01:00");
    }

    public static void Share(string key, double value)
    {
        if (double.IsNaN(value) || value is < 0 or > 1)
            ThrowHelper.ThrowConfiguration(key, $"{value} is not a share between 0 and 1 (for example 0.02)");
    }

    public static void NotEmpty(string key, string value)
    {
        if (string.IsNullOrWhiteSpace(value)) ThrowHelper.ThrowConfiguration(key, "must not be empty");
    }

    public static void OneOf(string key, string value, params string[] allowed)
    {
        if (!allowed.Contains(value, StringComparer.OrdinalIgnoreCase))
            ThrowHelper.ThrowConfiguration(key, $"'{value}' is not allowed; use one of {string.Join(", ", allowed)}");
    }
}
