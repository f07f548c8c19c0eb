using Playground.Cli;

namespace Playground.Tests.Cli;

public sealed class BenchStatsTests
{
    [Fact]
    public void Percentiles_are_nearest_rank()
    {
        var samples = Enumerable.Range(1, 100).Select(i => (double)i).Reverse().ToList();
        Assert.Equal(new Stats(50, 95, 50.5), Stats.Of(samples));
    }

    [Fact]
    public void One_sample_is_every_percentile() =>
        Assert.Equal(new Stats(3, 3, 3), Stats.Of([3.0]));
}
