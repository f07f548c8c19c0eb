namespace Playground.E2E.Support;

/// <summary>The repository's root: the first directory above this assembly holding Playground.sln.</summary>
public static class RepoRoot
{
    public static string Path { get; } = Find();

    static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Playground.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no Playground.sln above {AppContext.BaseDirectory}");
    }
}
