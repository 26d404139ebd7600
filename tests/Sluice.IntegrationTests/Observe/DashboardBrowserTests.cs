using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using OpenQA.Selenium;
using Sluice.Core.Configuration;
using Sluice.IntegrationTests.Cli;
using Sluice.Kafka;
using Sluice.TestKit;
using Xunit.Abstractions;
using static Sluice.IntegrationTests.Cli.ProcessorRuns;

namespace Sluice.IntegrationTests.Observe;

/// <summary>
/// The dashboard in headless Chromium (Debian's, through Selenium and Debian's ChromeDriver): its numbers are the API's,
/// they move while events flow, hostile dead-letter payloads are shown as text, and a token given in the page's address
/// reaches every request. Screenshots go to artifacts/dashboard/.
/// </summary>
public sealed partial class DashboardBrowserTests(ITestOutputHelper output)
{
    private const string Token = "dashboard-test-token-0123456789";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task the_demo_dashboard_moves_while_events_flow_and_then_shows_exactly_the_apis_figures()
    {
        // 1. A demo of 40,000 events at 2,000/s that keeps serving once it has finished.
        using var demo = SluiceChild.Start(["demo", "--events", "40000", "--rate", "2000", "--no-live", "--stay"]);
        var url = await DashboardUrlAsync(demo);
        using var http = new HttpClient { BaseAddress = url };
        using var browser = new HeadlessChromium();
        browser.Driver.Navigate().GoToUrl(url);

        // 2. While events flow, records in grows on the page without a reload, and the throughput chart gains points.
        var first = (long)browser.Until<object?>(_ => Number(browser.Text("kpi-recordsIn")) is { } n && n > 0 ? n : null, Wait, "records in on the page")!;
        var later = (long)browser.Until<object?>(_ => Number(browser.Text("kpi-recordsIn")) is { } n && n > first ? n : null, Wait, "records in to grow")!;
        output.WriteLine($"records in on the page: {first:N0}, then {later:N0}");
        Assert.Equal(3, browser.Driver.FindElements(By.CssSelector(".uplot canvas")).Count);
        output.WriteLine(browser.Screenshot("demo-running"));

        // 3. Once the run has finished the figures stand still: every number on the page equals the API's.
        await PollAsync(() => Task.FromResult(demo.StdOut.Contains("the dashboard stays", StringComparison.Ordinal) ? "" : null), "the end of the run (stdout: the dashboard stays)");
        Assert.Contains("every output matches the ground truth", demo.StdOut, StringComparison.Ordinal);
        var status = await JsonAsync(http, "/api/status");
        var enriched = status.GetProperty("outputs").EnumerateObject().Where(o => o.Name.EndsWith(".enriched", StringComparison.Ordinal)).Sum(o => o.Value.GetInt64());
        Assert.True(enriched > 0);
        var expected = new Dictionary<string, long>
        {
            ["kpi-recordsIn"] = status.GetProperty("recordsIn").GetInt64(),
            ["kpi-enriched"] = enriched,
            ["kpi-deadLetters"] = status.GetProperty("deadLetters").GetInt64(),
            ["kpi-lateRecords"] = status.GetProperty("lateRecords").GetInt64(),
            ["kpi-duplicates"] = status.GetProperty("duplicates").GetInt64(),
            ["kpi-bots"] = status.GetProperty("bots").GetInt64(),
        };
        Assert.True(expected["kpi-recordsIn"] >= 40_000, $"records in {expected["kpi-recordsIn"]:N0}");
        var funnel = await JsonAsync(http, "/api/funnel");
        expected["funnel-sessions"] = funnel.GetProperty("sessions").GetInt64();
        expected["funnel-added-to-cart"] = funnel.GetProperty("addedToCart").GetInt64();
        expected["funnel-converted"] = funnel.GetProperty("converted").GetInt64();
        var sessions = await JsonAsync(http, "/api/sessions");
        expected["sessions-sessions"] = sessions.GetProperty("sessions").GetInt64();
        expected["sessions-users"] = sessions.GetProperty("users").GetInt64();
        Assert.True(expected["funnel-sessions"] > 0, "the warehouse holds no sessions");
        // The warehouse panels refresh every 3 s and the live figures every second: wait until the page has caught up.
        string Mismatches() => string.Join("; ", expected.Where(e => Number(browser.Text(e.Key)) != e.Value).Select(e => $"{e.Key}: page {browser.Text(e.Key)}, API {e.Value:N0}"));
        try { browser.Until(_ => Mismatches().Length == 0, Wait, "the page to show the API's figures"); }
        catch (WebDriverTimeoutException) { Assert.Fail($"the page differs from the API: {Mismatches()}"); }

        // Top products and dead letters by reason: the rows the API gives, in its order.
        var products = (await JsonAsync(http, "/api/products/top?limit=10")).GetProperty("products").EnumerateArray().ToList();
        Assert.Equal(products.Select(p => p.GetProperty("productId").GetString()), Rows(browser, "products").Select(r => r[0]));
        var reasons = (await JsonAsync(http, "/api/dead-letters/by-reason")).GetProperty("reasons").EnumerateArray().ToList();
        Assert.NotEmpty(reasons);
        Assert.Equal(reasons.Select(r => (r.GetProperty("reason").GetString(), r.GetProperty("count").GetInt64())),
            Rows(browser, "reasons").Select(c => ((string?)c[0], Number(c[1]) ?? -1)));
        // The charts hold the throughput history; the revenue chart has the API's buckets.
        Assert.True(Convert.ToInt64(browser.Script("return window.sluiceDashboard.throughput[0].length;"), CultureInfo.InvariantCulture) >= 5);
        output.WriteLine(browser.Screenshot("demo-finished"));

        demo.Terminate();
        Assert.Equal(0, await demo.WaitForExitAsync(Long));
    }

    [Fact]
    public async Task hostile_dead_letter_payloads_are_shown_as_text_by_a_process_reading_postgres()
    {
        // 1. A standalone broker holding generated traffic and three hostile records: markup, invalid UTF-8, 100 KB.
        using var broker = await BrokerProcess.StartAsync();
        await ProduceAsync(broker.BootstrapServers, 3_000);
        var script = "<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\">";
        var hostile = new[]
        {
            Encoding.UTF8.GetBytes(script),
            [.. Encoding.UTF8.GetBytes("before "), 0xFF, 0xFE, 0xC3, .. Encoding.UTF8.GetBytes(" after")],
            Encoding.UTF8.GetBytes(new string('x', 100_000)),
        };
        var factory = new KafkaClientFactory(new KafkaOptions(), broker.BootstrapServers);
        using (var producer = new ProducerBuilder<byte[]?, byte[]>(factory.ProducerConfig("hostile")).Build())
        {
            foreach (var value in hostile) producer.Produce(new TopicPartition(Topic, 0), new Message<byte[]?, byte[]> { Value = value });
            Assert.Equal(0, producer.Flush(Long));
        }

        // 2. The processor (serving the dashboard on every address, so behind a token, and reading the warehouse in
        //    PostgreSQL) and a PostgreSQL sink.
        await using var db = await PostgresTestServer.CreateDatabaseAsync();
        var env = new Dictionary<string, string> { ["SLUICE__POSTGRES__CONNECTIONSTRING"] = db.ConnectionString };
        using var dir = new TempDirectory("sluice-ckpt");
        using var process = SluiceChild.Start(ProcessArgs(broker.BootstrapServers, $"dash-{Guid.NewGuid():N}", dir.Path),
            new Dictionary<string, string>(env) { ["SLUICE__OBSERVE__LISTEN"] = "http://0.0.0.0:0", ["SLUICE__DASHBOARD__TOKEN"] = Token });
        using var sink = SluiceChild.Start(["sink", "--to", "postgres", "--bootstrap-servers", broker.BootstrapServers], env);
        var url = new Uri($"http://127.0.0.1:{(await DashboardUrlAsync(process)).Port}/");
        using (var anonymous = new HttpClient { BaseAddress = url })
            foreach (var path in new[] { "/", "/assets/dashboard.js", "/api/status" })
                Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await anonymous.GetAsync(new Uri(path, UriKind.Relative))).StatusCode);
        using var http = new HttpClient { BaseAddress = url };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);

        // 3. The hostile letters reach the warehouse; the API names their reason.
        var letters = await PollAsync(async () =>
        {
            using var r = await http.GetAsync(new Uri("/api/dead-letters?pageSize=500", UriKind.Relative));
            if (!r.IsSuccessStatusCode) return null;
            var items = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("items").EnumerateArray()
                .Where(i => i.GetProperty("sourcePartition").GetInt32() == 0 && IsHostile(i.GetProperty("payloadText").GetString()!)).ToList();
            return items.Count == 3 ? items : null;
        }, "the three hostile dead letters in the API");
        Assert.Single(letters, i => i.GetProperty("payloadText").GetString()!.Contains(script, StringComparison.Ordinal));
        output.WriteLine($"hostile letters' reasons: {string.Join(", ", letters.Select(l => l.GetProperty("reason").GetString()))}");

        // 4. In the page, opened with the token in its address (it passes it on to the API and the stream): choose the
        //    reason, then each hostile letter; the payload is text, and nothing ran.
        using var browser = new HeadlessChromium();
        browser.Driver.Navigate().GoToUrl(new Uri(url, $"/?token={Token}"));
        foreach (var letter in letters)
        {
            var offset = letter.GetProperty("sourceOffset").GetInt64();
            var name = $"{Topic}[0]@{offset}";
            // The tables are redrawn every few seconds: find and click in one step, again if the row was replaced meanwhile.
            var letterReason = letter.GetProperty("reason").GetString()!;
            browser.Until(d => { d.FindElement(By.CssSelector($"[data-testid='reasons'] tr[data-reason='{letterReason}']")).Click(); return true; }, Wait, $"the reason {letterReason} in the page");
            browser.Until(d =>
            {
                var item = d.FindElements(By.CssSelector("[data-testid='letters'] li")).FirstOrDefault(li => li.Text == name);
                item?.Click();
                return item is not null;
            }, Wait, name);
            var shown = browser.Until<string?>(_ => browser.Script("return document.getElementById('payload').textContent;") as string is { } t && t == letter.GetProperty("payloadText").GetString() ? t : null,
                Wait, $"the payload of {name}")!;
            if (shown.Contains("<script>", StringComparison.Ordinal))
            {
                Assert.Contains(script, shown, StringComparison.Ordinal);
                browser.Script("document.getElementById('payload').scrollIntoView({ block: 'center' });");
                output.WriteLine(browser.Screenshot("dead-letter-markup"));
            }
            if (shown.Contains("before ", StringComparison.Ordinal)) Assert.Contains('\uFFFD', shown);
            if (shown.StartsWith("xxxx", StringComparison.Ordinal)) Assert.True(shown.Length >= 1_000, $"the long payload shows {shown.Length} characters");
        }
        // The live figures arrived over the event stream with the token: the page counted more than one update.
        Assert.True(int.Parse(browser.Script("return String(window.sluiceDashboard.updates);") as string ?? "0", CultureInfo.InvariantCulture) > 1);
        // Nothing from a payload became markup: no script ran, no element was added, and the page's own scripts are all there are.
        Assert.Null(browser.Script("return window.__pwned ?? null;"));
        Assert.Empty(browser.Driver.FindElements(By.CssSelector("#payload *")));
        Assert.Equal(2L, Convert.ToInt64(browser.Script("return document.scripts.length;"), CultureInfo.InvariantCulture));

        process.Terminate();
        sink.Terminate();
        Assert.Equal(0, await process.WaitForExitAsync(Long));
        Assert.Equal(0, await sink.WaitForExitAsync(Long));
    }

    /// <summary>The cells' text of a table body, read in one script: the page redraws its tables every few seconds.</summary>
    private static List<string[]> Rows(HeadlessChromium browser, string testId) =>
        [.. ((IEnumerable<object>)browser.Script($"return [...document.querySelectorAll(\"[data-testid='{testId}'] tr\")].map(r => [...r.cells].map(c => c.textContent));")!)
            .Select(r => ((IEnumerable<object>)r).Select(c => (string)c).ToArray())];

    private static bool IsHostile(string text) =>
        text.Contains("__pwned", StringComparison.Ordinal) || text.StartsWith("before ", StringComparison.Ordinal) || text.StartsWith("xxxxxxxx", StringComparison.Ordinal);

    private static async Task<Uri> DashboardUrlAsync(SluiceChild run)
    {
        var line = await run.WaitForLineAsync(l => l.Contains("dashboard at http", StringComparison.Ordinal), Long, "the dashboard URL");
        return new Uri(UrlPattern().Match(line).Groups[1].Value);
    }

    private static async Task<JsonElement> JsonAsync(HttpClient http, string path) =>
        JsonDocument.Parse(await http.GetStringAsync(new Uri(path, UriKind.Relative))).RootElement.Clone();

    private async Task<T> PollAsync<T>(Func<Task<T?>> attempt, string what) where T : class
    {
        var deadline = DateTime.UtcNow + Long;
        while (DateTime.UtcNow < deadline)
        {
            if (await attempt() is { } done) return done;
            await Task.Delay(500);
        }
        output.WriteLine($"no {what} within {Long}");
        throw new TimeoutException($"no {what} within {Long}");
    }

    /// <summary>A whole number as the page prints it (<c>12,345</c>), or null for a dash or anything else.</summary>
    private static long? Number(string text) =>
        long.TryParse(text.Replace(",", "", StringComparison.Ordinal), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? n : null;

    [GeneratedRegex(@"dashboard at (http://[^\s,;]+)")]
    private static partial Regex UrlPattern();
}
