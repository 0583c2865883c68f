using System;

namespace MapGen;

/// <summary>
/// Names the inner map of an outer map (<see cref="BpfMapType.ArrayOfMaps"/>,
/// <see cref="BpfMapType.HashOfMaps"/>): another <c>[BpfMap]</c> struct, which is not itself an
/// outer map and not a <see cref="BpfMapType.ProgArray"/>.
/// </summary>
[AttributeUsage(AttributeTargets.Struct, AllowMultiple = false, Inherited = false)]
public sealed class InnerMapAttribute : Attribute
{
    /// <summary>Names the inner map's declaration.</summary>
    /// <param name="innerMap">A struct carrying <see cref="BpfMapAttribute"/>.</param>
    public InnerMapAttribute(Type innerMap) => InnerMap = innerMap;

    /// <summary>The inner map's declaration.</summary>
    public Type InnerMap { get; }
}
