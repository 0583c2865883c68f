using System;
using System.ComponentModel;

namespace MapGen.CompilerServices;

/// <summary>
/// Handle-level operations of generated map structs: creation, opening with the check against
/// <c>Spec</c>, pinning. Generated code calls these; they are not meant to be called by hand.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class MapOperations
{
    /// <summary>Returns the handle of a generated struct, or throws if it is <see langword="default"/> or disposed.</summary>
    /// <exception cref="ObjectDisposedException">No handle, or a disposed one.</exception>
    public static BpfMap Live(BpfMap? map, string mapName)
    {
        if (map is null)
        {
            ThrowDefault(mapName);
        }

        map.ThrowIfDisposed();
        return map;
    }

    /// <summary>Creates a map of <paramref name="spec"/>.</summary>
    public static BpfMap Create(BpfRuntime runtime, BpfMapSpec spec)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        return runtime.CreateMap(spec);
    }

    /// <summary>Creates a map of <paramref name="spec"/> with another <c>max_entries</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxEntries"/> is 0.</exception>
    public static BpfMap Create(BpfRuntime runtime, BpfMapSpec spec, uint maxEntries)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentOutOfRangeException.ThrowIfZero(maxEntries);
        return runtime.CreateMap(spec.WithMaxEntries(maxEntries));
    }

    /// <summary>Opens the map pinned at <paramref name="pinnedPath"/> and checks it against <paramref name="spec"/>.</summary>
    /// <exception cref="BpfMapMismatchException">The pinned map differs from the declaration.</exception>
    public static BpfMap Open(BpfRuntime runtime, string pinnedPath, BpfMapSpec spec)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(spec);
        return CheckOrDispose(runtime.OpenPinned(pinnedPath), spec, $"The map pinned at '{pinnedPath}'");
    }

    /// <summary>Opens the map pinned at <paramref name="pinnedPath"/> and checks it, or creates and pins it.</summary>
    /// <exception cref="BpfMapMismatchException">A map is pinned there and differs from the declaration.</exception>
    public static BpfMap OpenOrCreate(BpfRuntime runtime, string pinnedPath, BpfMapSpec spec)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(spec);
        for (int attempt = 0; ; attempt++)
        {
            BpfErrno errno = runtime.TryOpenPinned(pinnedPath, out BpfMap? existing);
            if (errno == BpfErrno.None)
            {
                return CheckOrDispose(existing!, spec, $"The map pinned at '{pinnedPath}'");
            }

            if (errno != BpfErrno.ENOENT)
            {
                throw new BpfException(errno, $"open pinned '{pinnedPath}'", spec.Name);
            }

            BpfMap created = runtime.CreateMap(spec);
            try
            {
                created.Pin(pinnedPath);
                return created;
            }
            catch (BpfException e) when (e.Errno == BpfErrno.EEXIST && attempt < 3)
            {
                // Another process pinned its map between our open and our pin: use that one.
                created.Dispose();
            }
            catch
            {
                created.Dispose();
                throw;
            }
        }
    }

    /// <summary>
    /// Takes ownership of <paramref name="map"/> after checking it against <paramref name="spec"/>.
    /// A borrowed handle (<see cref="BpfMap.IsOwned"/> false: an inner map from an outer lookup,
    /// which its outer handle closes) cannot be owned: the result is then an owned duplicate
    /// (<see cref="BpfMap.Duplicate"/>), which lives on after the outer handle is disposed, and
    /// the borrowed handle stays with its outer handle.
    /// </summary>
    /// <returns><paramref name="map"/> itself when it is owned, else an owned duplicate of it.</returns>
    /// <exception cref="BpfMapMismatchException">The map differs from the declaration (the handle is left open).</exception>
    public static BpfMap FromMap(BpfMap map, BpfMapSpec spec)
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(spec);
        map.ThrowIfDisposed();
        ThrowIfMismatched(map, spec, $"Map '{map.Name}' (ID {map.Id})");
        return map.IsOwned ? map : map.Duplicate();
    }

    /// <summary>Pins the map of a generated struct.</summary>
    public static void Pin(BpfMap? map, string mapName, string path) => Live(map, mapName).Pin(path);

    /// <summary>Removes a pin of the map of a generated struct.</summary>
    public static void Unpin(BpfMap? map, string mapName, string path) => Live(map, mapName).Unpin(path);

    internal static void ThrowIfMismatched(BpfMap map, BpfMapSpec spec, string subject)
    {
        var mismatches = spec.FindMismatches(map.Info, map.Runtime.PossibleCpus);
        if (mismatches.Count != 0)
        {
            throw new BpfMapMismatchException(spec.Name, subject, mismatches);
        }
    }

    private static BpfMap CheckOrDispose(BpfMap map, BpfMapSpec spec, string subject)
    {
        try
        {
            ThrowIfMismatched(map, spec, subject);
            return map;
        }
        catch
        {
            map.Dispose();
            throw;
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowDefault(string mapName) =>
        throw new ObjectDisposedException(mapName, $"This '{mapName}' has no map: it is default. Create or open one with {mapName}.Create, Open, OpenOrCreate or FromMap.");
}
