namespace StreamGateway.IntegrationTests.Infrastructure;

/// <summary>Paths inside the repository the tests run from (found by walking up to StreamGateway.sln).</summary>
internal static class RepositoryPaths
{
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "StreamGateway.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("StreamGateway.sln not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>The NativeAOT build of the gateway, published there by <c>.ci/run</c> before the tests.</summary>
    public static string NativeAotGateway => Path.Combine(Root, "artifacts", "aot", "StreamGateway");
}
