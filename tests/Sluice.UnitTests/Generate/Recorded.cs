using Sluice.Core.Events;
using Sluice.Generate;
using Sluice.Generate.Faults;

namespace Sluice.UnitTests.Generate;

/// <summary>A generated record with its payload copied, so a whole run can be inspected after the fact.</summary>
internal sealed record Recorded(GeneratedRecord Record, byte[] Payload)
{
    public FaultKind Fault => Record.Fault;
    public ClickEvent? Event => Record.Event;
    public bool IsClick => Record.Kind == RecordKind.Click;
    /// <summary>A click a correct processor counts (CDC records carry no fault but are not clicks).</summary>
    public bool Counted => IsClick && Fault.IsCounted();

    public static List<Recorded> Run(GeneratorSettings settings)
    {
        var list = new List<Recorded>();
        var generator = new ClickstreamGenerator(settings);
        while (generator.MoveNext())
        {
            var r = generator.Current;
            list.Add(new Recorded(r, r.Payload.ToArray()));
        }
        return list;
    }
}
