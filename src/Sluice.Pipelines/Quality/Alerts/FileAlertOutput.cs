namespace Sluice.Pipelines.Quality.Alerts;

/// <summary>Appends each alert to a file as one line of JSON (JSON Lines), creating the file and its folder when missing.</summary>
/// <remarks>The file is opened for each alert and closed after it, so it can be rotated or tailed meanwhile; alerts are rare.</remarks>
public sealed class FileAlertOutput(string path) : IAlertOutput
{
    public string Name => "file";

    public string Path { get; } = System.IO.Path.GetFullPath(path);

    public async Task SendAsync(QualityAlert alert, CancellationToken cancellationToken)
    {
        var line = QualityJson.Bytes(alert);
        if (System.IO.Path.GetDirectoryName(Path) is { Length: > 0 } folder) Directory.CreateDirectory(folder);
        await using var file = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 4096, useAsync: true);
        await file.WriteAsync(line, cancellationToken).ConfigureAwait(false);
        await file.WriteAsync("\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
    }
}
