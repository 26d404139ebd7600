using System.CommandLine;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Sluice.Core.Errors;
using Sluice.Serve;
using Spectre.Console;

namespace Sluice.Cli.Commands;

/// <summary><c>sluice status --url URL</c>: the key figures of a running <c>process</c> or <c>demo</c>, read from its /readyz and /metrics.</summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "Where the process serves (its observe.listen, as it logged it)", DefaultValueFactory = _ => "http://127.0.0.1:9464" };
        var token = new Option<string?>("--token") { Description = "The dashboard token, when it listens beyond loopback (default: SLUICE__DASHBOARD__TOKEN)" };
        var command = new Command("status", "Print a running processor's readiness and key figures (records, outputs, dead letters, lag, state) from its /readyz and /metrics")
        {
            url, token,
        };
        command.SetAction(async (parse, ct) =>
        {
            if (!Uri.TryCreate(parse.GetValue(url), UriKind.Absolute, out var baseUri) || baseUri.Scheme is not ("http" or "https"))
                ThrowHelper.Throw($"--url '{parse.GetValue(url)}' is not an http URL; pass what the process logged after 'observe: serving', e.g. http://127.0.0.1:9464");
            var secret = parse.GetValue(token) ?? Environment.GetEnvironmentVariable("SLUICE__DASHBOARD__TOKEN");
            using var http = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(10) };
            if (!string.IsNullOrEmpty(secret)) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
            var ready = await GetAsync(http, "/readyz", ct).ConfigureAwait(false);
            var metrics = PrometheusText.Parse(await GetAsync(http, "/metrics", ct).ConfigureAwait(false));
            AnsiConsole.Write(Table(baseUri, ready, metrics));
            return JsonDocument.Parse(ready).RootElement.GetProperty("ready").GetBoolean() ? 0 : 3;
        });
        return command;
    }

    private static async Task<string> GetAsync(HttpClient http, string path, CancellationToken ct)
    {
        try
        {
            using var response = await http.GetAsync(new Uri(path, UriKind.Relative), ct).ConfigureAwait(false);
            // /readyz answers 503 with its checks when not ready: that is a status to show, not an error.
            if (response.StatusCode == System.Net.HttpStatusCode.Unauthorized)
                ThrowHelper.Throw($"{http.BaseAddress} wants a token: pass --token or set SLUICE__DASHBOARD__TOKEN");
            if (!response.IsSuccessStatusCode && !(path == "/readyz" && (int)response.StatusCode == 503))
                ThrowHelper.Throw($"{http.BaseAddress} answered {(int)response.StatusCode} {response.ReasonPhrase} to GET {path}");
            return await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            ThrowHelper.Throw($"nothing answered at {http.BaseAddress} ({ex.Message}); is `sluice process` running, and is --url its observe.listen?", isTransient: true, ex);
            return "";
        }
    }

    private static Table Table(Uri url, string readyJson, IReadOnlyList<PrometheusSample> m)
    {
        var ready = JsonDocument.Parse(readyJson).RootElement;
        var table = new Table().Border(TableBorder.Rounded).Title($"sluice at {url}");
        table.AddColumn("figure");
        table.AddColumn(new TableColumn("value").RightAligned());
        table.AddRow("ready", ready.GetProperty("ready").GetBoolean() ? "[green]yes[/]" : "[red]no[/]");
        foreach (var check in ready.GetProperty("checks").EnumerateArray())
            table.AddRow($"  {Markup.Escape(check.GetProperty("name").GetString() ?? "")}",
                (check.GetProperty("ok").GetBoolean() ? "[green]ok[/] " : "[red]failing[/] ") + Markup.Escape(check.GetProperty("detail").GetString() ?? ""));
        table.AddRow("records in", N(PrometheusText.Sum(m, "sluice_processor_records_total")));
        foreach (var s in m.Where(s => s.Name == "sluice_processor_outputs_total").OrderBy(s => s.Label("topic"), StringComparer.Ordinal))
            table.AddRow($"  out to {Markup.Escape(s.Label("topic") ?? "")}", N(s.Value));
        table.AddRow("dead letters", N(PrometheusText.Sum(m, "sluice_processor_dead_letters_total")));
        foreach (var s in m.Where(s => s.Name == "sluice_processor_dead_letters_total").OrderByDescending(s => s.Value))
            table.AddRow($"  {Markup.Escape(s.Label("reason") ?? "")}", N(s.Value));
        table.AddRow("late records", N(PrometheusText.Sum(m, "sluice_processor_late_records_total")));
        table.AddRow("duplicates", N(PrometheusText.Sum(m, "sluice_clickstream_duplicates_total")));
        table.AddRow("bots", N(PrometheusText.Sum(m, "sluice_clickstream_bots_total")));
        table.AddRow("consumer lag (records)", N(PrometheusText.Sum(m, "sluice_kafka_consumer_lag")));
        var watermarkLag = m.Where(s => s.Name == "sluice_processor_watermark_lag_seconds").Select(s => s.Value).DefaultIfEmpty(double.NaN).Max();
        table.AddRow("watermark lag (max)", double.IsNaN(watermarkLag) ? "-" : $"{watermarkLag.ToString("F1", CultureInfo.InvariantCulture)} s");
        table.AddRow("open windows", N(PrometheusText.Sum(m, "sluice_processor_windows_open")));
        table.AddRow("state entries", N(PrometheusText.Sum(m, "sluice_processor_state_entries")));
        table.AddRow("checkpoints written", N(PrometheusText.Sum(m, "sluice_checkpoint_size_bytes_count")));
        if (m.Any(s => s.Name == "sluice_sink_rows_total")) table.AddRow("sink rows", N(PrometheusText.Sum(m, "sluice_sink_rows_total")));
        return table;
    }

    private static string N(double value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
