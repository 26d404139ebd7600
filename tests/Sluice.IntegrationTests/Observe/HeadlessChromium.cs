using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace Sluice.IntegrationTests.Observe;

/// <summary>
/// Debian's Chromium (<c>/usr/bin/chromium</c>) driven headless through Debian's ChromeDriver (<c>/usr/bin/chromedriver</c>)
/// with Selenium; nothing is downloaded (./build.sh deps installs both). Screenshots go to <see cref="ArtifactsDirectory"/>.
/// </summary>
public sealed class HeadlessChromium : IDisposable
{
    private const string BrowserPath = "/usr/bin/chromium";
    private const string DriverPath = "/usr/bin/chromedriver";
    private readonly string _profile = Directory.CreateTempSubdirectory("sluice-chromium-").FullName;

    public HeadlessChromium(int width = 1400, int height = 2200)
    {
        if (!File.Exists(BrowserPath) || !File.Exists(DriverPath))
            throw new InvalidOperationException($"{BrowserPath} and {DriverPath} are needed for the dashboard tests: run ./build.sh deps (Debian packages chromium and chromium-driver)");
        var options = new ChromeOptions { BinaryLocation = BrowserPath };
        // Headless without a sandbox (tests may run as root); no background traffic to Google's services, which this
        // machine's closed network refuses; a profile of its own.
        options.AddArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
            $"--user-data-dir={_profile}", $"--window-size={width},{height}");
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(DriverPath)!, Path.GetFileName(DriverPath));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        Driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
    }

    public IWebDriver Driver { get; }

    /// <summary>The repository's <c>artifacts/dashboard/</c> (created), where screenshots of test runs are kept.</summary>
    public static string ArtifactsDirectory
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Sluice.slnx"))) dir = dir.Parent;
            var path = Path.Combine(dir?.FullName ?? Path.GetTempPath(), "artifacts", "dashboard");
            Directory.CreateDirectory(path);
            return path;
        }
    }

    /// <summary>Saves a PNG of the page as it is now under <see cref="ArtifactsDirectory"/>; returns its path.</summary>
    public string Screenshot(string name)
    {
        var path = Path.Combine(ArtifactsDirectory, name + ".png");
        ((ITakesScreenshot)Driver).GetScreenshot().SaveAsFile(path);
        return path;
    }

    /// <summary>The text of the element with this <c>data-testid</c> (empty when there is none), read in one script, so a redraw cannot leave a stale element.</summary>
    public string Text(string testId) =>
        Script($"return document.querySelector(\"[data-testid='{testId}']\")?.textContent ?? '';") as string ?? "";

    /// <summary>Waits until <paramref name="condition"/> returns true or an object (Selenium's rule: not a value type but bool), polling every 200 ms.</summary>
    public T Until<T>(Func<IWebDriver, T> condition, TimeSpan timeout, string what)
    {
        var wait = new WebDriverWait(Driver, timeout) { PollingInterval = TimeSpan.FromMilliseconds(200), Message = what };
        wait.IgnoreExceptionTypes(typeof(NoSuchElementException), typeof(StaleElementReferenceException));
        return wait.Until(condition);
    }

    public object? Script(string script, params object[] args) => ((IJavaScriptExecutor)Driver).ExecuteScript(script, args);

    public void Dispose()
    {
        try { Driver.Quit(); }
        finally
        {
            Driver.Dispose();
            try { Directory.Delete(_profile, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
