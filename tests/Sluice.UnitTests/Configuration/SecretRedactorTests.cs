using System.Text;
using System.Text.Encodings.Web;
using Sluice.Core.Configuration;

namespace Sluice.UnitTests.Configuration;

// The redactor is process-wide: every test registers secrets of its own, which no other test's text contains.
public sealed class SecretRedactorTests
{
    [Fact]
    public void a_registered_secret_is_masked_wherever_it_appears()
    {
        var secret = NewSecret();
        SecretRedactor.Register(secret);

        Assert.Equal("a *** b ***c", SecretRedactor.Redact($"a {secret} b {secret}c"));
    }

    [Fact]
    public void a_secret_shorter_than_the_minimum_is_not_masked()
    {
        var tiny = Guid.NewGuid().ToString("N")[..(SecretRedactor.MinimumLength - 1)];
        SecretRedactor.Register(tiny);

        Assert.Equal($"x{tiny}x", SecretRedactor.Redact($"x{tiny}x"));
    }

    [Fact]
    public void a_secret_is_masked_as_a_json_string_escapes_it()
    {
        var secret = $"p\"w+<{Guid.NewGuid():N}>é";
        SecretRedactor.Register(secret);
        var json = JavaScriptEncoder.Default.Encode(secret);
        Assert.NotEqual(secret, json);

        Assert.Equal("{\"Message\":\"***\"}", SecretRedactor.Redact($"{{\"Message\":\"{json}\"}}"));
    }

    [Fact]
    public void a_secret_that_holds_another_is_masked_whole()
    {
        var inner = NewSecret();
        var outer = $"{inner}-{NewSecret()}";
        SecretRedactor.Register(inner);
        SecretRedactor.Register(outer);

        Assert.Equal("[***] [***]", SecretRedactor.Redact($"[{outer}] [{inner}]"));
    }

    [Fact]
    public void each_line_of_a_multi_line_secret_is_masked_but_not_its_indentation()
    {
        var first = NewSecret();
        var second = NewSecret();
        SecretRedactor.Register($"{first}\n    {second}\n");

        Assert.Equal("***\n    ***", SecretRedactor.Redact($"{first}\n    {second}"));
    }

    [Fact]
    public void the_writer_masks_a_secret_split_across_writes()
    {
        var secret = NewSecret();
        SecretRedactor.Register(secret);
        var output = new StringWriter();
        using var writer = new RedactingWriter(output);

        writer.Write("password=" + secret[..5]);
        Assert.Equal("password=", output.ToString());
        foreach (var c in secret[5..]) writer.Write(c);
        writer.WriteLine(" end");

        Assert.Equal($"password=*** end{Environment.NewLine}", output.ToString());
    }

    [Fact]
    public void the_writer_passes_other_text_on_at_once_and_the_rest_on_flush()
    {
        var secret = NewSecret();
        SecretRedactor.Register(secret);
        var output = new StringWriter();
        using var writer = new RedactingWriter(output);

        writer.Write(new StringBuilder("no secret here: ").Append(secret[..3]).ToString());
        Assert.Equal("no secret here: ", output.ToString());
        writer.Flush();

        Assert.Equal("no secret here: " + secret[..3], output.ToString());
    }

    private static string NewSecret() => $"s3cr3t-{Guid.NewGuid():N}";
}
