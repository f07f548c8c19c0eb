namespace Playground.Web.Components.Builder;

/// <summary>Copies of a spec's lists with one item replaced, removed or added: panels never change a list in place.</summary>
public static class ListEdit
{
    public static IReadOnlyList<T> Replace<T>(this IReadOnlyList<T> list, int index, T item) =>
        list.Select((x, i) => i == index ? item : x).ToList();

    public static IReadOnlyList<T> RemoveAt<T>(this IReadOnlyList<T> list, int index) =>
        list.Where((_, i) => i != index).ToList();

    public static IReadOnlyList<T> Append<T>(this IReadOnlyList<T> list, T item) => [.. list, item];
}
