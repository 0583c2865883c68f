using System;
using System.Collections.Generic;
using System.Linq;
using MapGen.Generator.Model;
using Microsoft.CodeAnalysis;

namespace MapGen.Generator.Parser;

/// <summary>The C layout of a key or value type: its size, alignment and the bytes no field covers.</summary>
internal sealed class CTypeLayout
{
    public CTypeLayout(int size, int alignment, bool[] covered, CTypeModel cType)
    {
        Size = size;
        Alignment = alignment;
        Covered = covered;
        CType = cType;
    }

    /// <summary>The C and BTF description of the type.</summary>
    public CTypeModel CType { get; }

    public int Size { get; }

    public int Alignment { get; }

    /// <summary>For each byte, whether a field covers it; the others are padding.</summary>
    public bool[] Covered { get; }

    public EquatableArray<ByteRange> Padding
    {
        get
        {
            var ranges = new List<ByteRange>();
            int start = -1;
            for (int i = 0; i <= Covered.Length; i++)
            {
                bool hole = i < Covered.Length && !Covered[i];
                if (hole && start < 0)
                {
                    start = i;
                }
                else if (!hole && start >= 0)
                {
                    ranges.Add(new ByteRange(start, i - start));
                    start = -1;
                }
            }

            return new EquatableArray<ByteRange>(ranges);
        }
    }
}

/// <summary>
/// Computes the C layout of C# types as the C compiler (and .NET, for unmanaged sequential and
/// explicit structs) lays them out: natural alignment capped by <c>Pack</c>, fields in declaration
/// order or at their <c>FieldOffset</c>, size rounded up to the alignment. Types without a C
/// layout are refused with the reason.
/// </summary>
internal static class CLayout
{
    private const int LayoutSequential = 0;
    private const int LayoutExplicit = 2;
    private const int LayoutAuto = 3;
    private const int MaxDepth = 32;

    /// <summary>4 MiB (<c>KMALLOC_MAX_SIZE</c> on x86-64): no map type takes a larger key or value from user space.</summary>
    private const long MaxSize = 4L * 1024 * 1024;

    public static CTypeLayout? TryCompute(ITypeSymbol type, out string? error)
    {
        // A key or value type is laid out again for every map that names it and for every outer
        // map that judges it through its inner map, and a generator run lays out all of them
        // again after each edit. Symbols belong to one compilation, so the cache dies with it.
        LayoutResult result = s_layouts.GetValue(type, static t =>
        {
            string? error = null;
            CTypeLayout? layout = Compute(t, 0, new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default), ref error);
            return new LayoutResult(layout, error);
        });
        error = result.Error;
        return result.Layout;
    }

    /// <summary>Layouts already computed, by type symbol (layouts are immutable; symbols are per compilation).</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ITypeSymbol, LayoutResult> s_layouts = new();

    private sealed class LayoutResult
    {
        public LayoutResult(CTypeLayout? layout, string? error)
        {
            Layout = layout;
            Error = error;
        }

        public CTypeLayout? Layout { get; }

        public string? Error { get; }
    }

    private static CTypeLayout? Compute(ITypeSymbol type, int depth, HashSet<ITypeSymbol> path, ref string? error)
    {
        if (depth > MaxDepth)
        {
            error = $"'{Display(type)}' nests structs more than {MaxDepth} deep";
            return null;
        }

        switch (type.SpecialType)
        {
            case SpecialType.System_Boolean:
                return Primitive(1, "Bool");
            case SpecialType.System_Byte:
                return Primitive(1, "U8");
            case SpecialType.System_SByte:
                return Primitive(1, "S8");
            case SpecialType.System_Char:
                // A UTF-16 code unit: C has no 2-byte character type, so it is the unsigned __u16.
                return Primitive(2, "U16");
            case SpecialType.System_UInt16:
                return Primitive(2, "U16");
            case SpecialType.System_Int16:
                return Primitive(2, "S16");
            case SpecialType.System_Int32:
                return Primitive(4, "S32");
            case SpecialType.System_UInt32:
                return Primitive(4, "U32");
            case SpecialType.System_Single:
                return Primitive(4, "Float");
            case SpecialType.System_Int64:
                return Primitive(8, "S64");
            case SpecialType.System_UInt64:
                return Primitive(8, "U64");
            case SpecialType.System_Double:
                return Primitive(8, "Double");
            case SpecialType.System_IntPtr:
            case SpecialType.System_UIntPtr:
                error = $"'{Display(type)}' has no fixed C size (it follows the process's pointer size); use int, long, uint or ulong";
                return null;
            case SpecialType.System_Decimal:
                error = "'decimal' has no C equivalent";
                return null;
            case SpecialType.System_Void:
                error = "'void' has no size";
                return null;
        }

        switch (type)
        {
            case IPointerTypeSymbol or IFunctionPointerTypeSymbol:
                error = $"'{Display(type)}' is a pointer, which means nothing to the kernel or to another process";
                return null;
            case ITypeParameterSymbol:
                error = $"'{Display(type)}' is a type parameter, and generic types have no fixed C layout";
                return null;
            case INamedTypeSymbol { TypeKind: TypeKind.Enum, EnumUnderlyingType: { } underlying } enumType:
                return ComputeEnum(enumType, underlying, depth, path, ref error);
            case INamedTypeSymbol { TypeKind: TypeKind.Struct } named:
                return ComputeStruct(named, depth, path, ref error);
            case { TypeKind: TypeKind.Error }:
                error = $"'{Display(type)}' could not be resolved";
                return null;
            default:
                error = $"'{Display(type)}' is a reference type, but keys and values are unmanaged C-layout data (integers, enums, structs)";
                return null;
        }
    }

    private static CTypeLayout? ComputeStruct(INamedTypeSymbol type, int depth, HashSet<ITypeSymbol> path, ref string? error)
    {
        if (!path.Add(type))
        {
            error = $"'{Display(type)}' contains itself";
            return null;
        }

        try
        {
            return ComputeStructCore(type, depth, path, ref error);
        }
        finally
        {
            path.Remove(type);
        }
    }

    private static CTypeLayout? ComputeStructCore(INamedTypeSymbol type, int depth, HashSet<ITypeSymbol> path, ref string? error)
    {
        if (type.IsGenericType)
        {
            error = $"'{Display(type)}' is a generic struct, which has no fixed C layout";
            return null;
        }

        if (type.IsRefLikeType)
        {
            error = $"'{Display(type)}' is a ref struct";
            return null;
        }

        if (!type.Locations.Any(l => l.IsInSource))
        {
            error = $"'{Display(type)}' is declared in another assembly ({type.ContainingAssembly?.Name}), whose struct layout Roslyn does not expose; declare the struct in this compilation";
            return null;
        }

        int layoutKind = LayoutSequential;
        int pack = 0;
        int declaredSize = 0;
        int inlineArrayLength = 0;
        foreach (AttributeData attribute in type.GetAttributes())
        {
            if (IsAttribute(attribute, "StructLayoutAttribute", "System.Runtime.InteropServices"))
            {
                if (attribute.ConstructorArguments.Length == 1 && MapDeclarationParser.TryGetUInt32(attribute.ConstructorArguments[0], out uint kind))
                {
                    layoutKind = unchecked((int)kind);
                }

                foreach (KeyValuePair<string, TypedConstant> named in attribute.NamedArguments)
                {
                    if (named.Key == "Pack" && named.Value.Value is int p)
                    {
                        pack = p;
                    }
                    else if (named.Key == "Size" && named.Value.Value is int s)
                    {
                        declaredSize = s;
                    }
                }
            }
            else if (IsAttribute(attribute, "InlineArrayAttribute", "System.Runtime.CompilerServices")
                && attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is int length)
            {
                inlineArrayLength = length;
            }
        }

        if (layoutKind == LayoutAuto)
        {
            error = $"'{Display(type)}' has LayoutKind.Auto, so the runtime may reorder its fields; use LayoutKind.Sequential or Explicit";
            return null;
        }

        if (declaredSize < 0 || declaredSize > MaxSize)
        {
            error = $"'{Display(type)}' declares a size of {declaredSize} bytes, outside 0 to {MaxSize}";
            return null;
        }

        if (layoutKind != LayoutSequential && layoutKind != LayoutExplicit)
        {
            error = $"'{Display(type)}' has an unknown layout kind {layoutKind}";
            return null;
        }

        List<IFieldSymbol> fields = type.GetMembers().OfType<IFieldSymbol>().Where(f => !f.IsStatic && !f.IsConst).ToList();
        if (fields.Count == 0)
        {
            error = $"'{Display(type)}' has no fields, and an empty struct has size 0 in C but 1 in .NET; add a field";
            return null;
        }

        if (inlineArrayLength > 0)
        {
            if (fields.Count != 1 || inlineArrayLength < 1)
            {
                error = $"'{Display(type)}' is not a valid inline array";
                return null;
            }

            // An inline array is a C array T name[N], not a struct around one.
            CTypeLayout? element = FieldLayout(fields[0], depth, path, ref error);
            return element is null ? null : Repeat(element, inlineArrayLength, type, ref error);
        }

        if (!IsCIdentifier(type.Name))
        {
            error = $"'{Display(type)}' is not a C identifier ([A-Za-z_][A-Za-z0-9_]*), so it cannot name a C struct or a BTF type";
            return null;
        }

        int maxAlignment = 1;
        int end = 0;
        var placed = new List<(int Offset, CTypeLayout Layout, string Name)>(fields.Count);
        foreach (IFieldSymbol field in fields)
        {
            // An auto-property's backing field is named after the property in C.
            string memberName = field.AssociatedSymbol is IPropertySymbol property ? property.Name : field.Name;
            if (!IsCIdentifier(memberName))
            {
                error = $"its field '{Display(type)}.{memberName}' is not a C identifier ([A-Za-z_][A-Za-z0-9_]*), so it cannot name a C member";
                return null;
            }

            CTypeLayout? layout = FieldLayout(field, depth, path, ref error);
            if (layout is null)
            {
                error = $"its field '{Display(type)}.{field.Name}' has none: {error}";
                return null;
            }

            int alignment = pack > 0 ? Math.Min(layout.Alignment, pack) : layout.Alignment;
            int offset;
            if (layoutKind == LayoutExplicit)
            {
                int? explicitOffset = FieldOffset(field);
                if (explicitOffset is null)
                {
                    error = $"field '{field.Name}' of '{Display(type)}' has no [FieldOffset] in an explicit layout; add one";
                    return null;
                }

                offset = explicitOffset.Value;
                if (offset < 0 || offset > MaxSize)
                {
                    error = $"field '{field.Name}' of '{Display(type)}' has [FieldOffset({offset})], outside 0 to {MaxSize}";
                    return null;
                }
            }
            else
            {
                offset = RoundUp(end, alignment);
            }

            placed.Add((offset, layout, memberName));
            end = Math.Max(end, offset + layout.Size);
            if (end > MaxSize)
            {
                error = $"'{Display(type)}' is larger than {MaxSize} bytes, more than the kernel takes for a key or value";
                return null;
            }

            maxAlignment = Math.Max(maxAlignment, alignment);
        }

        if (declaredSize > RoundUp(end, maxAlignment) && declaredSize % maxAlignment != 0)
        {
            // .NET rounds such a size up to the alignment and C cannot express it: the two would disagree.
            error = $"'{Display(type)}' declares Size = {declaredSize}, which is not a multiple of its alignment ({maxAlignment}); use a multiple of {maxAlignment}";
            return null;
        }

        int size = Math.Max(RoundUp(end, maxAlignment), declaredSize);
        var covered = new bool[size];
        foreach ((int offset, CTypeLayout layout, _) in placed)
        {
            for (int i = 0; i < layout.Size; i++)
            {
                covered[offset + i] |= layout.Covered[i];
            }
        }

        // C and BTF list members in offset order (the kernel refuses decreasing offsets); an
        // explicit layout whose fields overlap is a C union, which MapGen does not describe.
        placed.Sort((a, b) => a.Offset.CompareTo(b.Offset));
        var members = new CMemberModel[placed.Count];
        for (int i = 0; i < placed.Count; i++)
        {
            if (i > 0 && placed[i].Offset < placed[i - 1].Offset + placed[i - 1].Layout.Size)
            {
                error = $"fields '{placed[i - 1].Name}' and '{placed[i].Name}' of '{Display(type)}' overlap, which C writes as a union; MapGen describes structs whose fields do not overlap";
                return null;
            }

            members[i] = new CMemberModel(placed[i].Name, placed[i].Offset, placed[i].Layout.CType);
        }

        return new CTypeLayout(size, maxAlignment, covered, CTypeModel.Struct(type.Name, size, new EquatableArray<CMemberModel>(members)));
    }

    private static CTypeLayout? FieldLayout(IFieldSymbol field, int depth, HashSet<ITypeSymbol> path, ref string? error)
    {
        if (field.IsFixedSizeBuffer && field.Type is IPointerTypeSymbol pointer)
        {
            CTypeLayout? element = Compute(pointer.PointedAtType, depth + 1, path, ref error);
            return element is null ? null : Repeat(element, field.FixedSize, field.ContainingType, ref error);
        }

        if (field.RefKind != RefKind.None)
        {
            error = $"'{field.Name}' is a ref field";
            return null;
        }

        return Compute(field.Type, depth + 1, path, ref error);
    }

    private static CTypeLayout? Repeat(CTypeLayout element, int count, ITypeSymbol owner, ref string? error)
    {
        if (count < 1 || (long)element.Size * count > MaxSize)
        {
            error = $"'{Display(owner)}' repeats an element {count} times, which is not between 1 byte and {MaxSize} bytes";
            return null;
        }

        var covered = new bool[element.Size * count];
        for (int i = 0; i < count; i++)
        {
            Array.Copy(element.Covered, 0, covered, i * element.Size, element.Size);
        }

        return new CTypeLayout(element.Size * count, element.Alignment, covered, CTypeModel.Array(element.CType, count));
    }

    private static int? FieldOffset(IFieldSymbol field)
    {
        foreach (AttributeData attribute in field.GetAttributes())
        {
            if (IsAttribute(attribute, "FieldOffsetAttribute", "System.Runtime.InteropServices")
                && attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is int offset)
            {
                return offset;
            }
        }

        return null;
    }

    private static CTypeLayout Primitive(int size, string name)
    {
        var covered = new bool[size];
        for (int i = 0; i < size; i++)
        {
            covered[i] = true;
        }

        return new CTypeLayout(size, size, covered, CTypeModel.Primitive(name, size));
    }

    /// <summary>
    /// An enum: its underlying type's layout, described as a C enum of that size and signedness
    /// (an empty enum, which C cannot declare, as its underlying integer).
    /// </summary>
    private static CTypeLayout? ComputeEnum(INamedTypeSymbol type, INamedTypeSymbol underlying, int depth, HashSet<ITypeSymbol> path, ref string? error)
    {
        CTypeLayout? integer = Compute(underlying, depth + 1, path, ref error);
        if (integer is null)
        {
            return null;
        }

        bool signed = underlying.SpecialType is SpecialType.System_SByte or SpecialType.System_Int16 or SpecialType.System_Int32 or SpecialType.System_Int64;
        var values = new List<CEnumValueModel>();
        foreach (ISymbol member in type.GetMembers())
        {
            if (member is IFieldSymbol { HasConstantValue: true, ConstantValue: { } constant } field)
            {
                if (!IsCIdentifier(field.Name))
                {
                    error = $"the member '{Display(type)}.{field.Name}' is not a C identifier ([A-Za-z_][A-Za-z0-9_]*), so it cannot name a C enumerator";
                    return null;
                }

                long value = constant switch
                {
                    ulong u => unchecked((long)u),
                    uint u => u,
                    ushort u => u,
                    byte u => u,
                    _ => Convert.ToInt64(constant, System.Globalization.CultureInfo.InvariantCulture),
                };
                values.Add(new CEnumValueModel(field.Name, value));
            }
        }

        if (values.Count == 0)
        {
            return integer;
        }

        if (!IsCIdentifier(type.Name))
        {
            error = $"'{Display(type)}' is not a C identifier ([A-Za-z_][A-Za-z0-9_]*), so it cannot name a C enum";
            return null;
        }

        return new CTypeLayout(integer.Size, integer.Alignment, integer.Covered,
            CTypeModel.Enum(type.Name, integer.Size, signed, new EquatableArray<CEnumValueModel>(values)));
    }

    /// <summary>Whether <paramref name="name"/> is a C (and BTF) identifier: <c>[A-Za-z_][A-Za-z0-9_]*</c>.</summary>
    internal static bool IsCIdentifier(string name)
    {
        if (name.Length == 0 || (name[0] >= '0' && name[0] <= '9'))
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
            {
                return false;
            }
        }

        return true;
    }

    private static int RoundUp(int value, int alignment) => (value + alignment - 1) / alignment * alignment;

    internal static bool IsAttribute(AttributeData attribute, string name, string containingNamespace) =>
        attribute.AttributeClass is { } cls && cls.Name == name && cls.ContainingNamespace?.ToDisplayString() == containingNamespace;

    private static string Display(ITypeSymbol type) => type.ToDisplayString(SymbolDisplayFormat.CSharpShortErrorMessageFormat);
}
