using Bunit;
using Microsoft.AspNetCore.Components;
using MudBlazor.Services;
using Playground.Engine.Spec;
using Playground.Web.Components.Workspace;

namespace Playground.Tests.Web;

/// <summary>The builder's "other tools" panel: export, import back into the builder, what is not carried listed, bad input named.</summary>
public sealed class OtherToolsTests : IAsyncLifetime
{
    readonly BunitContext _ctx = new();
    SandboxSpec? _loaded;

    public OtherToolsTests()
    {
        _ctx.Services.AddMudServices();
        _ctx.JSInterop.Mode = JSRuntimeMode.Loose;
    }

    static readonly SandboxSpec Spec = SandboxSpec.Default("/roots/busybox", "/bin/sh") with { Terminal = true, Hostname = "tools" };

    IRenderedComponent<OtherTools> Render() => _ctx.Render<OtherTools>(p => p
        .Add(x => x.Spec, Spec)
        .Add(x => x.SpecChanged, EventCallback.Factory.Create<SandboxSpec>(this, s => _loaded = s)));

    static void Click(IRenderedComponent<OtherTools> cut, string text) => cut.FindAll("button").Single(b => b.TextContent.Contains(text)).Click();

    [Fact]
    public void An_exported_config_json_imports_back_as_the_same_spec_and_unsupported_fields_are_listed()
    {
        var cut = Render();
        Click(cut, "Export");
        var text = cut.Find("textarea").GetAttribute("value") ?? cut.Find("textarea").TextContent;
        Assert.Contains("\"ociVersion\"", text);
        Assert.Contains("Everything in the builder is in it.", cut.Find("[aria-label='carried']").TextContent);

        Click(cut, "Import into the builder");
        Assert.Equal(SpecJson.Serialize(Spec), SpecJson.Serialize(_loaded!));

        // A field the playground cannot run is listed by its path, not dropped in silence.
        cut.Find("textarea").Input(text.Replace("\"ociVersion\"", "\"hooks\": { \"prestart\": [{ \"path\": \"/bin/true\" }] },\n  \"ociVersion\""));
        Click(cut, "Import into the builder");
        Assert.Contains("hooks", cut.Find("[aria-label='not carried']").TextContent);
    }

    [Fact]
    public void A_config_json_against_the_schema_is_refused_naming_the_path()
    {
        var cut = Render();
        cut.Find("textarea").Input("""{ "ociVersion": "1.2.0", "root": { "path": "/r" }, "linux": { "namespaces": [{ "type": "net" }] } }""");
        Click(cut, "Import into the builder");
        Assert.Contains("linux.namespaces[0].type: 'net' is not one of", cut.Find("[aria-label='import errors']").TextContent);
        Assert.Null(_loaded); // nothing half loaded
    }

    public async Task InitializeAsync() => await Task.CompletedTask;
    public async Task DisposeAsync() => await _ctx.DisposeAsync();
}
