using System;

namespace MapGen;

/// <summary>
/// Implemented by every generated map struct: its definition, its raw handle, and how a handle
/// becomes the typed map. Generic code (such as typed outer maps) works over it without
/// reflection.
/// </summary>
/// <typeparam name="TSelf">The generated map struct.</typeparam>
public interface IBpfMap<TSelf> : IDisposable
    where TSelf : struct, IBpfMap<TSelf>
{
    /// <summary>The map's definition.</summary>
    static abstract BpfMapSpec Spec { get; }

    /// <summary>The raw handle.</summary>
    /// <exception cref="ObjectDisposedException">The map is <see langword="default"/> or disposed.</exception>
    BpfMap Map { get; }

    /// <summary>
    /// Wraps a handle that has already been checked against <see cref="Spec"/>, without checking
    /// it again. Generated code uses it; users call <c>FromMap</c>, which checks.
    /// </summary>
    static abstract TSelf Wrap(BpfMap map);
}
