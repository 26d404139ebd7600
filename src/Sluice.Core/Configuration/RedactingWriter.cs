using System.Text;

namespace Sluice.Core.Configuration;

/// <summary>Stands in for stdout or stderr and masks every registered secret (<see cref="SecretRedactor"/>) on the way out.</summary>
/// <remarks>
/// The CLI installs it first thing, so everything it shows passes here: tables, help, the one-line errors and the console
/// loggers, which take <see cref="Console.Error"/> when they are created. Until a secret is registered writes pass straight through. After,
/// text is written as it comes except for an end that could be the start of a secret, held until the next write or
/// <see cref="Flush"/> shows whether it is one.
/// </remarks>
public sealed class RedactingWriter(TextWriter inner) : TextWriter
{
    private readonly Lock _gate = new();
    private readonly StringBuilder _held = new();

    /// <summary>Puts redacting writers in front of stdout and stderr, flushed when the process exits.</summary>
    public static void Install()
    {
        Console.SetOut(new RedactingWriter(Console.Out));
        Console.SetError(new RedactingWriter(Console.Error));
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            Console.Out.Flush();
            Console.Error.Flush();
        };
    }

    public override Encoding Encoding => inner.Encoding;

    public override IFormatProvider FormatProvider => inner.FormatProvider;

    [System.Diagnostics.CodeAnalysis.AllowNull]
    public override string NewLine
    {
        get => inner.NewLine;
        set => inner.NewLine = value;
    }

    public override void Write(char value) => Write(new ReadOnlySpan<char>(in value));

    public override void Write(string? value) => Write(value.AsSpan());

    public override void Write(char[] buffer, int index, int count) => Write(buffer.AsSpan(index, count));

    public override void Write(ReadOnlySpan<char> buffer)
    {
        lock (_gate)
        {
            if (_held.Length == 0 && !SecretRedactor.IsActive)
            {
                inner.Write(buffer);
                return;
            }
            _held.Append(buffer);
            var text = SecretRedactor.Redact(_held.ToString());
            var keep = SecretRedactor.PartialSecretAtEnd(text);
            inner.Write(text.AsSpan(0, text.Length - keep));
            _held.Clear().Append(text, text.Length - keep, keep);
        }
    }

    public override void Flush()
    {
        lock (_gate)
        {
            if (_held.Length > 0) inner.Write(_held.ToString());
            _held.Clear();
            inner.Flush();
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) Flush();
        base.Dispose(disposing);
    }
}
