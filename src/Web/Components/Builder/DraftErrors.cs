namespace Playground.Web.Components.Builder;

/// <summary>
/// Fields whose text does not parse yet (e.g. a size "64q"): the spec keeps its last good
/// value meanwhile, so the workspace must not Run until they are fixed. Cascaded by the workspace.
/// </summary>
public sealed class DraftErrors
{
    readonly HashSet<object> _bad = [];

    public event Action? Changed;

    public bool Any => _bad.Count > 0;

    public void Set(object field, bool bad)
    {
        if (bad ? _bad.Add(field) : _bad.Remove(field)) Changed?.Invoke();
    }
}
