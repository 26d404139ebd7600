using System.CommandLine;
using Sluice.Cli.Hosting;
using Sluice.Core.Configuration;
using Sluice.Core.Errors;
using Sluice.Pipelines.Domains;
using Sluice.Schemas.Cli;
using Sluice.Schemas.Registry;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice schema register | check | list | diff</c> and <c>sluice registry</c>.</summary>
internal static class SchemaCommands
{
    private static readonly Option<string?> Registry = new("--registry")
    {
        Description = "Schema registry URL (default schemaRegistry.url; empty uses the embedded registry's state file)",
    };

    public static Command Create()
    {
        var command = new Command("schema", "Register, check, list and diff Avro schemas in a schema registry");
        command.Subcommands.Add(Register());
        command.Subcommands.Add(Check());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Diff());
        return command;
    }

    private static Command Register()
    {
        var (subject, file, version, domain) = SchemaArguments();
        var command = new Command("register", "Register a schema under a subject; refused with the reason when incompatible") { subject, file, version, domain, Registry };
        RequireOneSchema(command, file, version, domain);
        command.SetAction((parse, ct) => WithRegistry(parse, (s, c) => s.RegisterAsync(parse.GetValue(subject)!, Ref(parse, file, version, domain), c), ct));
        return command;
    }

    private static Command Check()
    {
        var (subject, file, version, domain) = SchemaArguments();
        var against = new Option<string>("--against") { Description = "Registered version to check against", DefaultValueFactory = _ => "latest" }
            .Require(v => v == "latest" || (int.TryParse(v, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0),
                "--against takes a version number (1, 2, ...) or latest");
        var command = new Command("check", "Check a schema against a subject's compatibility mode without registering it") { subject, file, version, domain, against, Registry };
        RequireOneSchema(command, file, version, domain);
        command.SetAction((parse, ct) => WithRegistry(parse, (s, c) => s.CheckAsync(parse.GetValue(subject)!, Ref(parse, file, version, domain), parse.GetValue(against)!, c), ct));
        return command;
    }

    private static Command List()
    {
        var subject = new Option<string?>("--subject") { Description = "Only this subject's versions" };
        var command = new Command("list", "List subjects, or one subject's versions") { subject, Registry };
        command.SetAction((parse, ct) => WithRegistry(parse, (s, c) => s.ListAsync(parse.GetValue(subject), c), ct));
        return command;
    }

    private static Command Diff()
    {
        var subject = new Option<string?>("--subject") { Description = "Diff two registered versions of this subject" };
        var from = new Option<string>("--from") { Description = "Version, or a built-in event schema v1|v2|v3, an .avsc file, or a domain file (.yaml)", DefaultValueFactory = _ => "1" };
        var to = new Option<string>("--to") { Description = "Version, or a built-in event schema v1|v2|v3, an .avsc file, or a domain file (.yaml)", DefaultValueFactory = _ => "latest" };
        var command = new Command("diff", "Show what changed between two schemas: fields added, removed, retyped") { subject, from, to, Registry };
        command.SetAction((parse, ct) =>
        {
            if (parse.GetValue(subject) is { } s)
                return WithRegistry(parse, (cmd, c) => cmd.DiffAsync(s, parse.GetValue(from)!, parse.GetValue(to)!, c), ct);
            // Without a subject, both sides are local schemas: no registry needed.
            return Task.FromResult(SchemaCommand.Diff(LocalRef(parse.GetValue(from)!), LocalRef(parse.GetValue(to)!), Console.Out));
        });
        return command;
    }

    /// <summary><c>sluice registry</c>: the embedded schema registry alone, for other processes.</summary>
    public static Command Serve()
    {
        var port = new Option<int>("--port") { Description = "TCP port on 127.0.0.1 (0 picks a free one)", DefaultValueFactory = _ => 0 }
            .Require(v => v is >= 0 and <= 65535, "--port must be between 0 and 65535");
        var command = new Command("registry", "Run the embedded schema registry until Ctrl+C and print its URL") { port };
        command.SetAction(async (parse, ct) =>
        {
            var options = GlobalOptions.LoadOptions(parse);
            await using var registry = await StartEmbeddedAsync(options.SchemaRegistry, parse.GetValue(port), ct).ConfigureAwait(false);
            Console.WriteLine(registry.Url.ToString().TrimEnd('/'));
            await Console.Out.FlushAsync(ct).ConfigureAwait(false);
            try { await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false); }
            catch (OperationCanceledException) { }
            return 0;
        });
        return command;
    }

    /// <summary>Starts the embedded registry on 127.0.0.1; a port in use is a one-line error.</summary>
    public static async Task<EmbeddedSchemaRegistry> StartEmbeddedAsync(SchemaRegistryOptions options, int port, CancellationToken ct)
    {
        try
        {
            return await EmbeddedSchemaRegistry.StartAsync(options.StateFilePath(), port, ct).ConfigureAwait(false);
        }
        catch (IOException ex) when (ex.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AddressAlreadyInUse }
                                     || ex.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
        {
            throw new SluiceException($"port {port} on 127.0.0.1 is in use; choose another with --port, or 0 for a free one", isTransient: false, ex);
        }
    }

    private static (Option<string> Subject, Option<FileInfo?> File, Option<int?> Version, Option<FileInfo?> Domain) SchemaArguments()
    {
        var domain = new Option<FileInfo?>("--domain") { Description = "A domain file (config/domains/*.yaml): the schema generated from its fields" };
        var subject = new Option<string>("--subject") { Description = "Subject, e.g. clickstream.events-value", Required = true };
        var file = new Option<FileInfo?>("--file") { Description = "An .avsc schema file" };
        var version = new Option<int?>("--event-version") { Description = "A built-in click-event schema: 1, 2 or 3" }
            .Require(v => v is null or (>= 1 and <= 3), "--event-version: the event schema versions are 1, 2 and 3");
        return (subject, file, version, domain);
    }

    // A bad command line is a parse error (exit code 2), reported before any registry is started or asked.
    private static void RequireOneSchema(Command command, Option<FileInfo?> file, Option<int?> version, Option<FileInfo?> domain) =>
        command.Validators.Add(result =>
        {
            var given = (result.GetResult(file) is { Implicit: false } ? 1 : 0) + (result.GetResult(version) is { Implicit: false } ? 1 : 0)
                        + (result.GetResult(domain) is { Implicit: false } ? 1 : 0);
            if (given != 1) result.AddError("give one schema: --file <path.avsc>, --event-version 1|2|3 or --domain <file.yaml>");
        });

    private static SchemaRef Ref(ParseResult parse, Option<FileInfo?> file, Option<int?> version, Option<FileInfo?> domain) =>
        parse.GetValue(domain) is { } d ? DomainRef(d.FullName) : new(parse.GetValue(file)?.FullName, parse.GetValue(version));

    private static SchemaRef LocalRef(string text) => text.ToLowerInvariant() switch
    {
        "v1" => new SchemaRef(EventVersion: 1),
        "v2" => new SchemaRef(EventVersion: 2),
        "v3" => new SchemaRef(EventVersion: 3),
        var t when t.EndsWith(".yaml", StringComparison.Ordinal) || t.EndsWith(".yml", StringComparison.Ordinal) => DomainRef(text),
        _ => new SchemaRef(File: text),
    };

    // The schema generated from a domain file's fields (a bad file is its one-line error, naming file, line and key).
    private static SchemaRef DomainRef(string path) =>
        new(Text: DomainAvroSchema.Json(DomainDefinition.Load(path)), Label: $"{path} (generated)");

    // The configured registry, or the embedded one on its state file for the length of the command.
    private static async Task<int> WithRegistry(ParseResult parse, Func<SchemaCommand, CancellationToken, Task<int>> action, CancellationToken ct)
    {
        var options = GlobalOptions.LoadOptions(parse);
        var url = parse.GetValue(Registry) ?? options.SchemaRegistry.Url;
        EmbeddedSchemaRegistry? embedded = null;
        if (string.IsNullOrEmpty(url))
        {
            embedded = await StartEmbeddedAsync(options.SchemaRegistry, 0, ct).ConfigureAwait(false);
            url = embedded.Url.ToString();
        }
        try
        {
            using var client = SchemaRegistryClients.Create(url, embedded is null ? options.SchemaRegistry.BasicAuthUserInfo : null);
            return await action(new SchemaCommand(client, url, Console.Out), ct).ConfigureAwait(false);
        }
        finally
        {
            if (embedded is not null) await embedded.DisposeAsync().ConfigureAwait(false);
        }
    }
}
