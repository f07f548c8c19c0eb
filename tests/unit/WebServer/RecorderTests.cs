using System.Text;
using System.Text.Json;
using Playground.Web.Terminals;

namespace Playground.Tests.WebServer;

/// <summary>asciicast v2 as asciinema reads it: header, events, markers, split UTF-8, the cap.</summary>
public sealed class RecorderTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("playground-recorder-").FullName;

    static List<JsonElement> Read(string path) =>
        File.ReadAllLines(path).Select(l => JsonDocument.Parse(l).RootElement).ToList();

    [Fact]
    public void Writes_a_header_output_resizes_and_markers_and_joins_split_utf8()
    {
        var path = Path.Combine(_dir, "a.cast");
        Recorder? ended = null;
        using (var r = new Recorder(path, 100, 30, "a title", 1 << 20, x => ended = x))
        {
            r.Marker("launch: /bin/sh");
            var euro = Encoding.UTF8.GetBytes("€ok\r\n"); // € is 3 bytes: split it across two reads
            r.Output(euro.AsSpan(0, 2));
            r.Output(euro.AsSpan(2));
            r.Resize(120, 40);
            r.Marker("exit: 0");
        }
        Assert.NotNull(ended);
        var lines = Read(path);
        Assert.Equal(2, lines[0].GetProperty("version").GetInt32());
        Assert.Equal(100, lines[0].GetProperty("width").GetInt32());
        Assert.Equal("a title", lines[0].GetProperty("title").GetString());
        var events = lines.Skip(1).Select(e => (Code: e[1].GetString(), Data: e[2].GetString())).ToList();
        Assert.Equal([("m", "launch: /bin/sh"), ("o", "€ok\r\n"), ("r", "120x40"), ("m", "exit: 0")],
            events.Where(e => e.Data != "").ToList());
        var times = lines.Skip(1).Select(e => e[0].GetDouble()).ToList();
        Assert.Equal(times.Order(), times);
    }

    [Fact]
    public void Past_its_cap_output_stops_and_a_marker_says_so()
    {
        var path = Path.Combine(_dir, "b.cast");
        using (var r = new Recorder(path, 80, 24, "capped", 4096))
        {
            for (var i = 0; i < 200; i++) r.Output(Encoding.ASCII.GetBytes($"line {i} of output\r\n"));
            Assert.True(r.Truncated);
            r.Marker("exit: 0");
        }
        var lines = Read(path);
        Assert.True(new FileInfo(path).Length < 4096 + 512);
        Assert.Contains(lines, l => l.ValueKind == JsonValueKind.Array && l[1].GetString() == "m" && l[2].GetString()!.Contains("reached its cap"));
        Assert.Equal("exit: 0", lines[^1][2].GetString());
        Assert.DoesNotContain(lines, l => l.ValueKind == JsonValueKind.Array && l[2].GetString() == "line 199 of output\r\n");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
