using Playground.Engine.Spec;

namespace Playground.Tests.Spec;

public class SizesTests
{
    [Theory]
    [InlineData("64m", 64L << 20)]
    [InlineData("64M", 64L << 20)]
    [InlineData("64MiB", 64L << 20)]
    [InlineData("64MB", 64L << 20)]
    [InlineData("1g", 1L << 30)]
    [InlineData("512k", 512L << 10)]
    [InlineData("100", 100)]
    [InlineData("1.5g", 3L << 29)]
    [InlineData(" 2T ", 2L << 40)]
    public void Parses(string text, long bytes)
    {
        Assert.True(Sizes.TryParse(text, out var parsed));
        Assert.Equal(bytes, parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("m")]
    [InlineData("-5m")]
    [InlineData("64x")]
    [InlineData("99999999999t")]
    [InlineData("1.2.3")]
    public void Refuses(string text) => Assert.False(Sizes.TryParse(text, out _));

    [Theory]
    [InlineData(64L << 20, "64MiB", "64m")]
    [InlineData(1536, "1536", "1536")]
    [InlineData(3L << 29, "1536MiB", "1536m")]
    [InlineData(0, "0", "0")]
    public void Formats(long bytes, string full, string shortForm)
    {
        Assert.Equal(full, Sizes.Format(bytes));
        Assert.Equal(shortForm, Sizes.FormatShort(bytes));
        Assert.True(Sizes.TryParse(Sizes.Format(bytes), out var back));
        Assert.Equal(bytes, back);
    }

    [Theory]
    [InlineData("nofile", 7)]
    [InlineData("RLIMIT_NOFILE", 7)]
    [InlineData("cpu", 0)]
    [InlineData("rttime", 15)]
    [InlineData("AS", 9)]
    public void RlimitNames(string name, int number)
    {
        Assert.True(Rlimits.TryParse(name, out var r));
        Assert.Equal(number, r);
    }

    [Fact]
    public void UnknownRlimit() => Assert.False(Rlimits.TryParse("files", out _));
}
