namespace MapGen;

/// <summary>
/// What the kernel reports about a map (<c>struct bpf_map_info</c> from
/// <c>BPF_OBJ_GET_INFO_BY_FD</c>).
/// </summary>
public readonly record struct BpfMapInfo
{
    /// <summary>The map type.</summary>
    public BpfMapType Type { get; init; }

    /// <summary>The map's ID, unique while the kernel (or emulated runtime) lives.</summary>
    public uint Id { get; init; }

    /// <summary>The key size in bytes.</summary>
    public uint KeySize { get; init; }

    /// <summary>The value size in bytes (one CPU's value for per-CPU maps; 4 for outer maps).</summary>
    public uint ValueSize { get; init; }

    /// <summary>The kernel's <c>max_entries</c>.</summary>
    public uint MaxEntries { get; init; }

    /// <summary>The map flags as the kernel reports them (including flags it adds itself).</summary>
    public BpfMapFlags Flags { get; init; }

    /// <summary>The kernel object name.</summary>
    public string Name { get; init; }

    /// <summary>The ID of the map's BTF object, 0 when none.</summary>
    public uint BtfId { get; init; }

    /// <summary>The BTF type id of the key, 0 when none.</summary>
    public uint BtfKeyTypeId { get; init; }

    /// <summary>The BTF type id of the value, 0 when none.</summary>
    public uint BtfValueTypeId { get; init; }
}
