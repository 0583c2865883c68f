namespace MapGen;

/// <summary>
/// The raw attributes of <c>BPF_MAP_CREATE</c> (<c>union bpf_attr</c>), for
/// <see cref="BpfRuntime.TryCreateMap"/>. No MapGen rule is applied: the kernel (or the emulated
/// runtime, the way the kernel would) judges them.
/// </summary>
public sealed record BpfMapCreateOptions
{
    /// <summary><c>map_type</c>.</summary>
    public BpfMapType Type { get; init; }

    /// <summary><c>key_size</c>.</summary>
    public uint KeySize { get; init; }

    /// <summary><c>value_size</c>.</summary>
    public uint ValueSize { get; init; }

    /// <summary><c>max_entries</c>.</summary>
    public uint MaxEntries { get; init; }

    /// <summary><c>map_flags</c>.</summary>
    public BpfMapFlags Flags { get; init; }

    /// <summary><c>inner_map_fd</c>: the template for an outer map, 0 for none.</summary>
    public int InnerMapFd { get; init; }

    /// <summary><c>numa_node</c>, read when <see cref="BpfMapFlags.NumaNode"/> is set.</summary>
    public uint NumaNode { get; init; }

    /// <summary><c>map_name</c>; at most 15 characters of <c>[A-Za-z0-9_.]</c>.</summary>
    public string? Name { get; init; }

    /// <summary><c>btf_fd</c>, 0 for none.</summary>
    public int BtfFd { get; init; }

    /// <summary><c>btf_key_type_id</c>.</summary>
    public uint BtfKeyTypeId { get; init; }

    /// <summary><c>btf_value_type_id</c>.</summary>
    public uint BtfValueTypeId { get; init; }

    /// <summary>The attributes that create a map of <paramref name="spec"/> (without an inner template).</summary>
    public static BpfMapCreateOptions From(BpfMapSpec spec)
    {
        System.ArgumentNullException.ThrowIfNull(spec);
        return new BpfMapCreateOptions
        {
            Type = spec.Type,
            KeySize = spec.KeySize,
            ValueSize = spec.ValueSize,
            MaxEntries = spec.MaxEntries,
            Flags = spec.Flags,
            Name = spec.Name,
        };
    }
}
