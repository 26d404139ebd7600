using System.CommandLine;
using Sluice.Cli.Hosting;
using Sluice.Generate.Journeys;
using Sluice.Pipelines.Clickstream;
using Sluice.Pipelines.Domains;
using Sluice.Pipelines.Domains.Rules;
using Sluice.Pipelines.Domains.Topology;
using Sluice.Pipelines.Hosting;
using Sluice.Schemas.Registry;
using Spectre.Console;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice domain check FILE</c>: validates a domain file and prints its fields, its rules and the topology it builds.</summary>
internal static class DomainCommand
{
    public static Command Create()
    {
        var command = new Command("domain", "Check domain files (config/domains/*.yaml): fields, validation rules and journeys");
        command.Subcommands.Add(Check());
        return command;
    }

    private static Command Check()
    {
        var file = new Argument<string>("FILE") { Description = "The domain file, such as config/domains/ecommerce.yaml" };
        var avro = new Option<bool>("--avro") { Description = "Also print the Avro schema generated from the fields" };
        var against = new Option<string?>("--against") { Description = "An earlier version of the file: check that the generated schema may follow its schema" };
        var compatibility = new Option<string>("--compatibility")
        {
            Description = "The registry compatibility rule for --against: BACKWARD (new readers read old data), FORWARD, FULL, NONE",
            DefaultValueFactory = _ => "BACKWARD",
        }.Require(v => SchemaCompatibility.TryParse(v, out _), "--compatibility takes NONE, BACKWARD, FORWARD or FULL (or a _TRANSITIVE form)");
        var command = new Command("check", "Validate a domain file as the processors and the generator would, then print its fields, schema, rules, journey and the topology it builds")
            { file, avro, against, compatibility };
        command.SetAction(parse =>
        {
            var path = parse.GetValue(file)!;
            var domain = DomainDefinition.Load(path);
            var schema = DomainAvroSchema.Generate(domain);
            var journey = domain.HasJourney ? TransitionTable.Load(path) : null;
            // The simulation is checked against the fields, rules and windows as demo --domain would compile it.
            var simulation = domain.Simulation is not null ? new Sluice.Generate.Domains.SensorGenerator(domain) : null;
            var sluice = GlobalOptions.LoadOptions(parse);
            IReadOnlyList<TopologyStage> stages;
            if (domain.DescribesOwnEvent)
            {
                // A file with an event section is its own topology; the e-commerce event and its C# stages do not apply.
                var topology = new DomainTopology(domain, sluice.Processor);
                AnsiConsole.Write(FieldTable(domain));
                AnsiConsole.Write(RuleTable(domain, topology.Rules.Rules));
                stages = topology.Describe();
            }
            else
            {
                var options = ClickstreamProcessor.TopologyOptions(sluice);
                options.Domain = domain;
                var topology = new ClickstreamTopology(options);
                AnsiConsole.Write(FieldTable(domain));
                AnsiConsole.Write(RuleTable(domain, topology.Rules.Rules));
                stages = topology.Describe();
            }
            AnsiConsole.Write(TopologyTable(stages));
            var subject = DomainAvroSchema.SubjectFor(domain.Topics?.Input ?? sluice.Kafka.Topics.Events);
            AnsiConsole.WriteLine($"schema: {((Sluice.Schemas.Avro.NamedSchema)schema).FullName}, {domain.Fields.Count} fields, registered as subject {subject}");
            if (parse.GetValue(avro)) Console.WriteLine(DomainAvroSchema.Json(domain));
            AnsiConsole.WriteLine(journey is null
                ? "journey: none (`produce --domain` needs one; the processors do not)"
                : $"journey: valid, sessions start at {journey.Start.ToName()}");
            if (simulation is not null)
                AnsiConsole.WriteLine($"simulation: valid, {domain.Simulation!.Devices} devices on {domain.Simulation.Sites} sites every {domain.Simulation.Interval:c} (`demo --domain {path}` runs it)");
            AnsiConsole.WriteLine(domain.DescribesOwnEvent
                ? $"{path}: valid ({domain.Fields.Count} fields, {domain.Rules.Count} rules, {domain.Aggregates.Count} aggregates)"
                : $"{path}: valid ({domain.Fields.Count} fields, {domain.Rules.Count} rules); run it with --set processor.domain={path}");
            return parse.GetValue(against) is { } earlier ? CheckEvolution(domain, DomainDefinition.Load(earlier), parse.GetValue(compatibility)!) : 0;
        });
        return command;
    }

    // The generated schema against the earlier file's, by the registry's rules: what `schema register` would be told.
    private static int CheckEvolution(DomainDefinition domain, DomainDefinition earlier, string compatibility)
    {
        SchemaCompatibility.TryParse(compatibility, out var level);
        var issues = DomainAvroSchema.Evolution(domain, earlier, level);
        if (issues.Count == 0)
        {
            AnsiConsole.WriteLine($"evolution: {level.ToWireName()} compatible with {earlier.Source}");
            return 0;
        }
        var table = new Table().Border(TableBorder.Rounded).Title($"not {level.ToWireName()} compatible with {Markup.Escape(earlier.Source)} ({issues.Count})");
        table.AddColumn("why");
        foreach (var issue in issues) table.AddRow(Markup.Escape(issue));
        AnsiConsole.Write(table);
        return 1;
    }

    private static Table FieldTable(DomainDefinition domain)
    {
        var table = new Table().Border(TableBorder.Rounded).Title($"fields of {Markup.Escape(domain.Name)} ({domain.Fields.Count})");
        foreach (var c in new[] { "field", "type", "required", "role", "values" }) table.AddColumn(c);
        foreach (var f in domain.Fields)
            table.AddRow(Markup.Escape(f.Name), FieldSpec.NameOf(f.Type), f.Required ? "yes" : "", FieldSpec.NameOf(f.Role), Markup.Escape(string.Join(", ", f.Values)));
        if (domain.Fields.Count == 0) table.AddRow("[grey]none declared: the event type's own fields apply[/]", "", "", "", "");
        return table;
    }

    private static Table RuleTable<T>(DomainDefinition domain, IReadOnlyList<Rule<T>> compiled)
    {
        var table = new Table().Border(TableBorder.Rounded).Title($"rules, checked in this order ({domain.Rules.Count})");
        table.AddColumn(new TableColumn("#").RightAligned());
        foreach (var c in new[] { "reason code", "field", "when", "must be", "line" }) table.AddColumn(c);
        for (var i = 0; i < compiled.Count; i++)
        {
            var rule = compiled[i];
            table.AddRow((i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(rule.Code), Markup.Escape(rule.Field.Name),
                Markup.Escape(rule.When?.Text ?? ""), Markup.Escape(rule.Requirement), domain.Rules[i].Line.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        return table;
    }

    private static Table TopologyTable(IReadOnlyList<TopologyStage> stages)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("the topology it builds, front to back");
        foreach (var c in new[] { "stage", "acts on", "to topic", "detail" }) table.AddColumn(c);
        foreach (var s in stages)
            table.AddRow(Markup.Escape(s.Stage), Markup.Escape(s.Acts), Markup.Escape(s.Output), Markup.Escape(s.Detail));
        return table;
    }
}
