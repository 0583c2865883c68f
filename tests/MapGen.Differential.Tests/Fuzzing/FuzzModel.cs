using System.Globalization;
using MapGen.Differential.Tests.Model;

namespace MapGen.Differential.Tests.Fuzzing;

/// <summary>
/// What an outer map keeps of its inner-map template: the attributes the kernel compares when a
/// map goes into a slot.
/// </summary>
internal sealed record InnerShape(BpfMapType Type, uint KeySize, uint ValueSize, uint MaxEntries, BpfMapFlags Flags)
{
    public static InnerShape Of(BpfMapInfo info) => new(info.Type, info.KeySize, info.ValueSize, info.MaxEntries, info.Flags);

    /// <summary>Whether the kernel should take <paramref name="map"/> into a slot (SPEC section 3); used to steer generation, never to judge.</summary>
    public bool Fits(FuzzMap map) =>
        map.Type == Type && map.Info.KeySize == KeySize && map.Info.ValueSize == ValueSize && map.Info.Flags == Flags
        && (MapTypeTraits.InnerMaxEntriesMayDiffer(Type, Flags) || map.Info.MaxEntries == MaxEntries);
}

/// <summary>A map object of the run, as the model knows it: attributes, references, and enough of its contents to aim operations at it.</summary>
internal sealed class FuzzMap
{
    public FuzzMap(int number, BpfMapInfo info, int userValueSize, InnerShape? template)
    {
        Number = number;
        Info = info;
        UserValueSize = userValueSize;
        Template = template;
    }

    /// <summary>M1, M2, … in the order the run created or first met the map.</summary>
    public int Number { get; }

    public BpfMapInfo Info { get; }

    public BpfMapType Type => Info.Type;

    public int KeySize => (int)Info.KeySize;

    public int UserValueSize { get; }

    /// <summary>The inner-map template of an outer map.</summary>
    public InnerShape? Template { get; }

    /// <summary>The fds, pins and outer-map slots holding the map.</summary>
    public int References { get; set; }

    public bool IsFreed => References == 0;

    /// <summary>
    /// The map sat in a slot of an outer map that was freed. The kernel releases an outer map's
    /// slots in deferred work after its last reference goes, so the map may outlive the model's
    /// count for a while: once freed it is never reopened by ID (the kernel's answer would be a race).
    /// </summary>
    public bool ReleasedLater { get; set; }

    /// <summary>
    /// Whether the kernel may still hold the map for a while after its last reference went: it sat
    /// in a freed outer map's slot, or it is a program array, whose last user reference makes the
    /// kernel take a reference of its own until deferred work has cleared the slots
    /// (<c>prog_array_map_clear</c>). Once freed, such a map is never reopened by ID: the kernel's
    /// answer would be a race.
    /// </summary>
    public bool MayLinger => ReleasedLater || Type == BpfMapType.ProgArray;

    /// <summary>The last handle slot that held the map, to reopen it by the ID it had.</summary>
    public Handle? LastHandle { get; set; }

    /// <summary>Keys the generator aims at (hash-like maps): some present, some not.</summary>
    public List<byte[]> KeyPool { get; } = [];

    /// <summary>The keys of a hash-like map that is not LRU, as both runtimes agree they are.</summary>
    public HashSet<byte[]> PresentKeys { get; } = new(ByteArrayComparer.Instance);

    /// <summary>The inner maps in an outer map's slots, by key.</summary>
    public Dictionary<byte[], FuzzMap> Slots { get; } = new(ByteArrayComparer.Instance);

    /// <summary>
    /// LRU maps: the last value written for each key on each side (hex), as far as that side
    /// said it wrote it. Each side evicts what its own LRU chooses, so they are kept apart.
    /// </summary>
    public Dictionary<string, string>[] LastWritten { get; } = [new(StringComparer.Ordinal), new(StringComparer.Ordinal)];

    public bool IsOuter => Type is BpfMapType.ArrayOfMaps or BpfMapType.HashOfMaps;

    public bool IsLru => Type is BpfMapType.LruHash or BpfMapType.LruPerCpuHash;

    /// <summary>Maps whose keys are u32 indexes below max entries.</summary>
    public bool IsArrayLike => Type is BpfMapType.Array or BpfMapType.PerCpuArray or BpfMapType.DevMap or BpfMapType.ProgArray
        or BpfMapType.PerfEventArray or BpfMapType.CgroupArray or BpfMapType.ArrayOfMaps or BpfMapType.StackTrace;

    /// <summary>Whether the emulated runtime models this type's elements (SPEC section 3); other types are only created, opened, pinned and used as inner maps.</summary>
    public bool HasEmulatedElements => IsArrayLike || Type is BpfMapType.Hash or BpfMapType.PerCpuHash or BpfMapType.LruHash
        or BpfMapType.LruPerCpuHash or BpfMapType.DevMapHash or BpfMapType.HashOfMaps;

    /// <summary>Where get_next_key's order is the same on every kernel: a zero hash seed, or DevMapHash's buckets by key.</summary>
    public bool WalksInKernelOrder => Type == BpfMapType.DevMapHash
        || (Type is BpfMapType.Hash or BpfMapType.PerCpuHash or BpfMapType.HashOfMaps && (Info.Flags & BpfMapFlags.ZeroSeed) != 0);

    /// <summary>Forgets the contents of a freed map (a long run frees many).</summary>
    public void Forget()
    {
        KeyPool.Clear();
        PresentKeys.Clear();
        Slots.Clear();
        LastWritten[0].Clear();
        LastWritten[1].Clear();
    }

    public override string ToString() => Describe();

    public string Describe()
    {
        string template = Template is { } t
            ? string.Create(CultureInfo.InvariantCulture, $" inner={t.Type}/{t.KeySize}/{t.ValueSize}/{t.MaxEntries}/{t.Flags}")
            : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"M{Number} ({Type} key={Info.KeySize} value={Info.ValueSize} max={Info.MaxEntries} flags={Info.Flags}{template})");
    }
}

/// <summary>A handle slot of the run and the map it opened.</summary>
internal sealed class FuzzHandle(Handle handle, FuzzMap map, bool canRead, bool canWrite)
{
    public Handle Handle { get; } = handle;

    public FuzzMap Map { get; } = map;

    public bool CanRead { get; } = canRead;

    public bool CanWrite { get; } = canWrite;

    public bool IsOpen { get; set; } = true;
}

/// <summary>
/// The fuzzer's model of the run: which handles are open, which maps live and what they hold, and
/// the pins. It follows what the runtimes answered (the reference side's answer where LRU maps let
/// the sides differ), so that generated operations mostly hit live maps and existing keys; it
/// never predicts an answer.
/// </summary>
internal sealed class FuzzModel
{
    public const int LeftSide = 0;
    public const int RightSide = 1;

    private const int RecentCapacity = 64;

    private readonly List<FuzzHandle?> _handles = [];
    private readonly List<FuzzHandle> _open = [];
    private readonly Dictionary<string, FuzzMap> _pins = new(StringComparer.Ordinal);
    private readonly List<FuzzHandle> _recentlyClosed = [];
    private readonly List<Handle> _recentlyFreed = [];
    private int _mapCount;

    public IReadOnlyList<FuzzHandle> OpenHandles => _open;

    public IReadOnlyDictionary<string, FuzzMap> Pins => _pins;

    /// <summary>Handles closed lately (for operations on closed handles).</summary>
    public IReadOnlyList<FuzzHandle> RecentlyClosed => _recentlyClosed;

    /// <summary>Handle slots of maps freed lately that cannot linger in the kernel (for open-by-ID of a freed map: ENOENT).</summary>
    public IReadOnlyList<Handle> RecentlyFreed => _recentlyFreed;

    /// <summary>Maps with a reference: an fd, a pin or a slot.</summary>
    public int LiveMaps { get; private set; }

    public int MapsCreated => _mapCount;

    /// <summary>
    /// The outer-map writes that wait for an RCU grace period in the kernel: successful updates and
    /// deletes, and every batch of at least one element (whatever its answer).
    /// </summary>
    public long OuterRcuWaits { get; private set; }

    /// <summary>The next free handle slot.</summary>
    public int HandleSlots => _handles.Count;

    public Handle ReserveHandle()
    {
        _handles.Add(null);
        return new Handle(_handles.Count - 1);
    }

    public FuzzHandle? HandleAt(Handle handle) => handle.Index < _handles.Count ? _handles[handle.Index] : null;

    /// <summary>The open handle an element step operates on, if any.</summary>
    public FuzzHandle? OpenTargetHandle(ScenarioStep step) =>
        StepHandles.Target(step) is { } target && HandleAt(target) is { IsOpen: true } handle ? handle : null;

    /// <summary>The map an element step operates on, when its handle is open.</summary>
    public FuzzMap? OpenTarget(ScenarioStep step) => OpenTargetHandle(step)?.Map;

    /// <summary>Every map the step names (through its handles and pins, and an outer slot it may empty), for the history of each map.</summary>
    public IReadOnlyList<FuzzMap> MapsNamedBy(ScenarioStep step)
    {
        var maps = new List<FuzzMap>();
        void Add(FuzzMap? map)
        {
            if (map is not null && !maps.Contains(map))
            {
                maps.Add(map);
            }
        }

        foreach (Handle handle in StepHandles.All(step))
        {
            Add(HandleAt(handle)?.Map);
        }

        switch (step)
        {
            case OpenPinnedStep s:
                Add(_pins.GetValueOrDefault(s.Name));
                break;
            case UnpinStep s:
                Add(_pins.GetValueOrDefault(s.Name));
                break;
            case UpdateStep s when OpenTarget(s) is { IsOuter: true } outer:
                Add(outer.Slots.GetValueOrDefault(s.Key));
                break;
            case DeleteStep s when OpenTarget(s) is { IsOuter: true } outer:
                Add(outer.Slots.GetValueOrDefault(s.Key));
                break;
            case UpdateBatchStep s when OpenTarget(s) is { IsOuter: true } outer:
                foreach (byte[] key in s.Keys)
                {
                    Add(outer.Slots.GetValueOrDefault(key));
                }

                break;
        }

        return maps;
    }

    /// <summary>
    /// Follows the answers to <paramref name="step"/>. <paramref name="right"/> is the reference
    /// side, whose new handles give the attributes of new maps; outside LRU maps both sides gave
    /// the same answer (the runner stops at the first difference).
    /// </summary>
    public void Apply(ScenarioStep step, TranscriptEntry left, TranscriptEntry right, Func<Handle, BpfMap?> openOnRight)
    {
        switch (step)
        {
            case CreateStep s:
                if (s.KeepOpen && openOnRight(s.Result!.Value) is { } created)
                {
                    InnerShape? template = BpfMapRules.IsOuter(created.Type) && s.Inner is { } inner && HandleAt(inner) is { } innerHandle
                        ? InnerShape.Of(innerHandle.Map.Info)
                        : null;
                    FuzzMap map = NewMap(created, template);
                    AddHandle(s.Result.Value, map, (s.Options.Flags & BpfMapFlags.WrOnly) == 0, (s.Options.Flags & BpfMapFlags.RdOnly) == 0);
                }

                break;
            case UpdateStep s when OpenTarget(s) is { } map:
                ApplyUpdate(map, s.Key, s.Value, left.Errno, right.Errno);
                break;
            case DeleteStep s when OpenTarget(s) is { } map:
                ApplyDelete(map, s.Key, left.Errno, right.Errno);
                break;
            case UpdateBatchStep s when OpenTarget(s) is { } map && right.Errno is not null:
                int written = int.Parse(right.Output.AsSpan("written=".Length), CultureInfo.InvariantCulture);
                for (int i = 0; i < written; i++)
                {
                    ApplyUpdate(map, s.Keys[i], s.Values[i], BpfErrno.None, BpfErrno.None, countOuterWrite: false);
                }

                if (map.IsOuter && s.Keys.Length > 0)
                {
                    OuterRcuWaits++;
                }

                break;
            case LookupAndDeleteStep s when OpenTarget(s) is { } map:
                ApplyDelete(map, s.Key, left.Errno, right.Errno);
                break;
            case DeleteBatchStep s when OpenTarget(s) is { } map:
                // The keys before the one that stopped the batch are gone (on each side, for LRU maps).
                ApplyDeleted(map, s.Keys, left, LeftSide);
                ApplyDeleted(map, s.Keys, right, RightSide);
                break;
            case DrainStep s when OpenTarget(s) is { } map && right.Errno == BpfErrno.None:
                map.PresentKeys.Clear();
                map.LastWritten[LeftSide].Clear();
                map.LastWritten[RightSide].Clear();
                break;
            case LruFillStep s when OpenTarget(s) is { IsLru: true } map && right.Output.StartsWith("inserts None;", StringComparison.Ordinal):
                byte[] key = new byte[map.KeySize];
                for (uint i = 0; i < s.Count; i++)
                {
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(key, s.First + i);
                    string value = Convert.ToHexStringLower(PatternVal.Fill((byte)i, map.UserValueSize));
                    map.LastWritten[LeftSide][Convert.ToHexStringLower(key)] = value;
                    map.LastWritten[RightSide][Convert.ToHexStringLower(key)] = value;
                }

                break;
            case CloseStep s when HandleAt(s.Map) is { IsOpen: true } handle:
                handle.IsOpen = false;
                _open.Remove(handle);
                Remember(_recentlyClosed, handle);
                Release(handle.Map);
                break;
            case OpenByIdStep s when openOnRight(s.Result) is { } opened:
                FuzzMap byId = s.Of is { } of && HandleAt(of) is { } known ? known.Map : NewMap(opened, null, references: 0);
                Retain(byId);
                AddHandle(s.Result, byId, canRead: true, canWrite: true);
                break;
            case PinStep s when right.Errno == BpfErrno.None && HandleAt(s.Map) is { } pinned:
                _pins[s.Name] = pinned.Map;
                Retain(pinned.Map);
                break;
            case OpenPinnedStep s when openOnRight(s.Result) is { } opened:
                FuzzMap byPin = _pins.GetValueOrDefault(s.Name) ?? NewMap(opened, null, references: 0);
                Retain(byPin);
                AddHandle(s.Result, byPin, canRead: true, canWrite: true);
                break;
            case UnpinStep s when right.Errno == BpfErrno.None && _pins.Remove(s.Name, out FuzzMap? unpinned):
                Release(unpinned);
                break;
            case DuplicateStep s when openOnRight(s.Result) is not null && HandleAt(s.Map) is { } original:
                Retain(original.Map);
                AddHandle(s.Result, original.Map, original.CanRead, original.CanWrite);
                break;
        }
    }

    private void ApplyUpdate(FuzzMap map, byte[] key, Val value, BpfErrno? left, BpfErrno? right, bool countOuterWrite = true)
    {
        if (map.IsLru)
        {
            string keyHex = Convert.ToHexStringLower(key);
            string? valueHex = value switch
            {
                RawVal raw => Convert.ToHexStringLower(raw.Value),
                PatternVal pattern => Convert.ToHexStringLower(PatternVal.Fill(pattern.Seed, map.UserValueSize)),
                _ => null,
            };
            if (valueHex is not null)
            {
                if (left == BpfErrno.None)
                {
                    map.LastWritten[LeftSide][keyHex] = valueHex;
                }

                if (right == BpfErrno.None)
                {
                    map.LastWritten[RightSide][keyHex] = valueHex;
                }
            }

            return;
        }

        if (right != BpfErrno.None)
        {
            return;
        }

        if (map.IsOuter)
        {
            FuzzMap? inner = value is FdVal fd ? HandleAt(fd.Handle)?.Map : null;
            if (map.Slots.Remove(key, out FuzzMap? old))
            {
                // The new map takes the slot before the old one is let go: the same map stays alive.
                if (inner is not null)
                {
                    map.Slots[key] = inner;
                    Retain(inner);
                }

                Release(old);
            }
            else if (inner is not null)
            {
                map.Slots[key] = inner;
                Retain(inner);
            }

            if (countOuterWrite)
            {
                OuterRcuWaits++;
            }
        }
        else if (!map.IsArrayLike)
        {
            map.PresentKeys.Add(key);
        }
    }

    private void ApplyDelete(FuzzMap map, byte[] key, BpfErrno? left, BpfErrno? right)
    {
        if (map.IsLru)
        {
            string keyHex = Convert.ToHexStringLower(key);
            // Deleted or not there: either way the key is gone on that side.
            if (left is BpfErrno.None or BpfErrno.ENOENT)
            {
                map.LastWritten[LeftSide].Remove(keyHex);
            }

            if (right is BpfErrno.None or BpfErrno.ENOENT)
            {
                map.LastWritten[RightSide].Remove(keyHex);
            }

            return;
        }

        if (right != BpfErrno.None)
        {
            return;
        }

        if (map.IsOuter)
        {
            if (map.Slots.Remove(key, out FuzzMap? old))
            {
                Release(old);
            }

            OuterRcuWaits++;
        }
        else
        {
            map.PresentKeys.Remove(key);
        }
    }

    /// <summary>Follows one side's delete batch: its first <c>deleted=N</c> keys are gone.</summary>
    private static void ApplyDeleted(FuzzMap map, byte[][] keys, TranscriptEntry entry, int side)
    {
        if (!entry.Output.StartsWith("deleted=", StringComparison.Ordinal))
        {
            return;
        }

        int deleted = int.Parse(entry.Output.AsSpan("deleted=".Length), CultureInfo.InvariantCulture);
        for (int i = 0; i < deleted && i < keys.Length; i++)
        {
            if (map.IsLru)
            {
                map.LastWritten[side].Remove(Convert.ToHexStringLower(keys[i]));
            }
            else if (side == RightSide)
            {
                map.PresentKeys.Remove(keys[i]);
            }
        }
    }

    private FuzzMap NewMap(BpfMap map, InnerShape? template, int references = 1)
    {
        var created = new FuzzMap(++_mapCount, map.Info, map.UserValueSize, template) { References = references };
        if (references > 0)
        {
            LiveMaps++;
        }

        return created;
    }

    private void AddHandle(Handle slot, FuzzMap map, bool canRead, bool canWrite)
    {
        while (_handles.Count <= slot.Index)
        {
            _handles.Add(null);
        }

        var handle = new FuzzHandle(slot, map, canRead, canWrite);
        _handles[slot.Index] = handle;
        _open.Add(handle);
        map.LastHandle = slot;
    }

    private void Retain(FuzzMap map)
    {
        if (map.References++ == 0)
        {
            // Reopened after the model thought it freed: the runtimes agreed it was alive.
            LiveMaps++;
        }
    }

    private void Release(FuzzMap map)
    {
        if (map.References == 0 || --map.References > 0)
        {
            return;
        }

        LiveMaps--;
        if (map.IsOuter)
        {
            foreach (FuzzMap inner in map.Slots.Values)
            {
                inner.ReleasedLater = true;
                Release(inner);
            }
        }

        if (!map.MayLinger && map.LastHandle is { } last)
        {
            Remember(_recentlyFreed, last);
        }

        map.Forget();
    }

    private static void Remember<T>(List<T> recent, T item)
    {
        if (recent.Count == RecentCapacity)
        {
            recent.RemoveAt(0);
        }

        recent.Add(item);
    }
}
