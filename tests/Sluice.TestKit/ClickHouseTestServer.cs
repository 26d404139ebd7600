using System.Net.Http.Headers;
using System.Text;

namespace Sluice.TestKit;

/// <summary>The ClickHouse server the tests use: <c>./build.sh test</c> starts one (eng/clickhouse-test-server.sh) and sets SLUICE_TEST_CLICKHOUSE.</summary>
public static class ClickHouseTestServer
{
    public const string Variable = "SLUICE_TEST_CLICKHOUSE";

    /// <summary>The user eng/clickhouse-test-server.sh makes give a password (<c>default</c> has none), and its password.</summary>
    public const string PasswordUser = "sluice_password";
    public const string UserPassword = "right-password";

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromMinutes(2) };

    /// <summary>The HTTP interface's URL; fails the test (never skips it) with how to start a server.</summary>
    public static string Url =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } url
            ? url
            : throw new InvalidOperationException(
                $"{Variable} is not set: run the tests with ./build.sh test, which starts a ClickHouse server, " +
                $"or start one yourself (eval \"$(bash eng/clickhouse-test-server.sh start)\") and export {Variable}");

    /// <summary>Runs <paramref name="sql"/> as <c>default</c> in <paramref name="database"/> and returns the body (TabSeparated unless the SQL says otherwise).</summary>
    public static string Query(string sql, string? database = null)
    {
        var uri = Url.TrimEnd('/') + "/" + (database is null ? "" : "?database=" + Uri.EscapeDataString(database));
        using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new StringContent(sql, Encoding.UTF8) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("default:")));
        using var response = Http.Send(request);
        var body = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"ClickHouse refused '{sql}': {body.Trim()}");
        return body;
    }

    /// <summary>A database name no other test uses; <see cref="TemporaryClickHouseDatabase"/> drops it.</summary>
    public static TemporaryClickHouseDatabase CreateDatabase() => new($"sluice_test_{Guid.NewGuid():N}");
}

/// <summary>A database name for one test; the sink creates the database, dispose drops it.</summary>
public sealed class TemporaryClickHouseDatabase(string name) : IDisposable
{
    public string Name { get; } = name;

    /// <summary>The first line of <paramref name="sql"/>'s result in this database.</summary>
    public string Scalar(string sql) => ClickHouseTestServer.Query(sql, Name).Split('\n')[0];

    public void Dispose() => ClickHouseTestServer.Query($"DROP DATABASE IF EXISTS {Name}");
}
