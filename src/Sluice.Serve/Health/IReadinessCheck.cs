namespace Sluice.Serve.Health;

/// <summary>One condition <c>/readyz</c> requires; every check is listed in its answer.</summary>
/// <remarks>Contract: <see cref="Check"/> is called from request threads while the pipeline runs; it must be quick (no I/O
/// beyond reading state others keep), never throw for a not-ready condition, and say why in <see cref="ReadinessResult.Detail"/>.</remarks>
public interface IReadinessCheck
{
    /// <summary>The check's name in the JSON answer: partitions, broker, sinks, lag...</summary>
    string Name { get; }

    ReadinessResult Check();
}

/// <summary>Whether one readiness condition holds, and a readable detail either way.</summary>
public readonly record struct ReadinessResult(bool Ok, string Detail)
{
    public static ReadinessResult Pass(string detail) => new(true, detail);

    public static ReadinessResult Fail(string detail) => new(false, detail);
}

/// <summary>A check from a name and a function (the checks of one host are a few lines each).</summary>
public sealed class ReadinessCheck(string name, Func<ReadinessResult> check) : IReadinessCheck
{
    public string Name { get; } = name;

    public ReadinessResult Check() => check();
}
