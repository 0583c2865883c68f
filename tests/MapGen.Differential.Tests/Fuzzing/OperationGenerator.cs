using System.Buffers.Binary;
using MapGen.Differential.Tests.Model;
using F = MapGen.BpfMapFlags;
using M = MapGen.BpfMapType;
using U = MapGen.BpfUpdateFlags;

namespace MapGen.Differential.Tests.Fuzzing;

/// <summary>
/// Chooses each operation of a run from a seeded random source and the model of what exists, so
/// that most operations hit live maps and existing keys while a share hits missing keys, bad
/// fds, bad flags and closed handles. Choices depend only on the seed and on answers both
/// runtimes agree on (never on which entries an LRU map kept), so a seed replays the same run.
/// </summary>
internal sealed class OperationGenerator
{
    /// <summary>The most maps the run keeps alive at once (fds, pins and slots together), to bound the kernel memory it holds.</summary>
    public const int MaxLiveMaps = 64;

    /// <summary>The share of operations that may be outer-map writes waiting for an RCU grace period (8–15 ms) in the kernel.</summary>
    public const double OuterWriteShare = 0.02;

    private const int MaxPins = 6;

    /// <summary>An fd number no process has open (above any RLIMIT_NOFILE in use).</summary>
    private const int BadFd = 1_000_000;

    /// <summary>An ifindex no interface has.</summary>
    private const uint NoSuchIfindex = 999_999;

    private static readonly string[] s_pinNames = ["p0", "p1", "p2", "p3", "p4", "p5"];

    /// <summary>
    /// Map types whose elements are not emulated: created, opened, pinned and used as inner maps
    /// only. Arena is left out: the kernel of the reference machine refuses every arena with EPERM
    /// (from outside the map checks: a python bpf(2) call is refused too), where the recorded
    /// Linux 6.18 answers of MapGen.Runtime.Tests, and the emulated runtime, create it.
    /// </summary>
    private static readonly (M Type, uint Key, uint Value, uint Max, F Flags)[] s_otherTypes =
    [
        (M.LpmTrie, 8, 4, 16, F.NoPrealloc), (M.LpmTrie, 5, 8, 4, F.NoPrealloc), (M.Queue, 0, 4, 4, F.None), (M.Stack, 0, 8, 4, F.None),
        (M.RingBuf, 0, 0, 4096, F.None), (M.UserRingBuf, 0, 0, 4096, F.None), (M.BloomFilter, 0, 4, 8, F.None), (M.BloomFilter, 0, 8, 4, F.ZeroSeed),
        (M.CpuMap, 4, 4, 2, F.None), (M.XskMap, 4, 4, 4, F.None), (M.SockMap, 4, 4, 4, F.None), (M.SockMap, 4, 8, 2, F.None),
        (M.SockHash, 4, 4, 4, F.None), (M.ReuseportSockArray, 4, 4, 4, F.None), (M.ReuseportSockArray, 4, 8, 2, F.None),
        (M.CgroupStorage, 8, 4, 0, F.None), (M.CgroupStorage, 16, 8, 0, F.None), (M.PerCpuCgroupStorage, 8, 8, 0, F.None),
        (M.StructOps, 4, 4, 1, F.None), (M.SkStorage, 4, 4, 0, F.NoPrealloc), (M.TaskStorage, 4, 8, 0, F.NoPrealloc),
        (M.InodeStorage, 4, 4, 0, F.NoPrealloc), (M.CgrpStorage, 4, 4, 0, F.NoPrealloc),
    ];

    private readonly Random _random;
    private readonly FuzzModel _model;
    private readonly Queue<ScenarioStep> _followUps = new();

    public OperationGenerator(int seed, FuzzModel model)
    {
        _random = new Random(seed);
        _model = model;
    }

    /// <summary>The operation with 0-based index <paramref name="index"/>.</summary>
    public ScenarioStep Next(int index)
    {
        ScenarioStep step = _followUps.Count > 0 ? _followUps.Dequeue() : Choose(index);
        step.Number = index + 1;
        return step;
    }

    private bool Crowded => _model.LiveMaps >= MaxLiveMaps - 4 || _model.OpenHandles.Count >= MaxLiveMaps - 2;

    private ScenarioStep Choose(int index)
    {
        if (_model.OpenHandles.Count == 0)
        {
            return CreateValid();
        }

        bool crowded = Crowded;
        bool hasOuter = _model.OpenHandles.Any(h => h.Map.IsOuter);
        return Weighted(60, hasOuter ? 13 : 0, 4, crowded ? 0 : 5.5, 3, crowded ? 20 : 3, crowded ? 0 : 1, 1.5, 2, 0.5) switch
        {
            0 => DataOperation(),
            1 => OuterOperation(index),
            2 => PickHandle(h => h.Map.HasEmulatedElements) is { } walked ? WalkOperation(walked) : CreateOrClose(),
            3 => CreateValid(),
            4 => TryCreate(),
            5 => new CloseStep(Pick(_model.OpenHandles).Handle),
            6 => new DuplicateStep(Pick(_model.OpenHandles).Handle, _model.ReserveHandle()),
            7 => OpenById(crowded),
            8 => PinOperation(crowded),
            _ => MisuseClosedHandle(),
        };
    }

    /// <summary>A new map, or when the run holds as many as it may, a close.</summary>
    private ScenarioStep CreateOrClose() => Crowded ? new CloseStep(Pick(_model.OpenHandles).Handle) : CreateValid();

    // ---- data maps ---------------------------------------------------------------------------

    private ScenarioStep DataOperation()
    {
        FuzzHandle? handle = PickHandle(h => h.Map.HasEmulatedElements && !h.Map.IsOuter);
        if (handle is null)
        {
            return CreateOrClose();
        }

        FuzzMap map = handle.Map;
        Handle h = handle.Handle;
        // An LRU fill checks its own invariants, which need a key of at least 4 bytes and reads as well as writes.
        // The bulk operations (lookup-and-delete, delete batches, drains) and mapped views come
        // now and then; a drain empties the map, so it is rare.
        switch (Weighted(34, 34, 12, 10, 3, map.IsLru && map.KeySize >= 4 && handle.CanRead && handle.CanWrite ? 1 : 0, 0.5,
            3, 2, 0.4, map.Type == M.Array ? 4 : 0.3))
        {
            case 0:
                return new LookupStep(h, Key(map));
            case 1:
                byte[] key = Key(map);
                if (map.IsLru)
                {
                    // Follow each LRU update with a lookup: a key just written must be present.
                    _followUps.Enqueue(new LookupStep(h, key));
                }

                return new UpdateStep(h, key, Value(map), UpdateFlags());
            case 2:
                return new DeleteStep(h, Key(map));
            case 3:
                return new NextKeyStep(h, NextKeyFrom(map));
            case 4:
                int count = _random.Next(0, 6);
                byte[][] keys = Enumerable.Range(0, count).Select(_ => Key(map)).ToArray();
                Val[] values = Enumerable.Range(0, count).Select(_ => Value(map)).ToArray();
                return new UpdateBatchStep(h, keys, values, Chance(0.85) ? U.Any : Pick([U.NoExist, U.Exist, U.Lock, (U)8]));
            case 5:
                // Up to three times max entries: the kernel's LRU evicts several entries at once.
                uint max = map.Info.MaxEntries;
                return new LruFillStep(h, (uint)_random.Next(0, 1000), (uint)_random.Next(1, (int)Math.Min(3 * max, 3000) + 1));
            case 6:
                // A key of the wrong size: both runtimes refuse it before any system call.
                return new LookupStep(h, RandomBytes(map.KeySize + 1));
            case 7:
                return new LookupAndDeleteStep(h, Key(map));
            case 8:
                return new DeleteBatchStep(h, Enumerable.Range(0, _random.Next(0, 6)).Select(_ => Key(map)).ToArray());
            case 9:
                return new DrainStep(h);
            default:
                // A value through a mapping of the map: mappable arrays answer, every other map refuses as the kernel does.
                uint index = (uint)_random.Next(0, (int)Math.Min(map.Info.MaxEntries, 64));
                return Chance(0.5) ? new ViewStep(h, index, null) : new ViewStep(h, index, RandomBytes((int)map.Info.ValueSize));
        }
    }

    private ScenarioStep WalkOperation(FuzzHandle handle)
    {
        Handle h = handle.Handle;
        return Weighted(2, 2, handle.Map.WalksInKernelOrder ? 3 : 0, 2, 1) switch
        {
            0 => new WalkStep(h, WithValues: false),
            1 => new WalkStep(h, WithValues: true),
            2 => new WalkStep(h, WithValues: false, KernelOrder: true),
            3 => new EnumerateStep(h, WithValues: true),
            _ => new EnumerateStep(h, WithValues: false),
        };
    }

    /// <summary>A key: mostly an index below max entries or a key of the map's pool, sometimes one past the end or never seen.</summary>
    private byte[] Key(FuzzMap map)
    {
        uint max = map.Info.MaxEntries;
        if (map.IsArrayLike)
        {
            uint index = Weighted(85, 10, 5) switch
            {
                0 => (uint)_random.NextInt64(0, Math.Max(max, 1)),
                1 => max + (uint)_random.Next(0, 3),
                _ => Pick([uint.MaxValue, 1u << 31, (uint)_random.NextInt64(0, uint.MaxValue)]),
            };
            return Scenario.U32(index);
        }

        int poolSize = (int)Math.Min(2 * (long)max + 2, 64);
        if (map.KeyPool.Count < poolSize || Chance(0.1))
        {
            byte[] fresh = map.Type == M.DevMapHash ? Scenario.U32((uint)_random.Next(0, Chance(0.8) ? 64 : int.MaxValue)) : RandomBytes(map.KeySize);
            if (map.KeyPool.Count < poolSize)
            {
                map.KeyPool.Add(fresh);
            }

            return fresh;
        }

        return Pick(map.KeyPool);
    }

    /// <summary>
    /// Where get_next_key starts: the first key, a missing key (which restarts at the first), or
    /// an existing key. Whether a key has a next one depends on the order, which only maps walked
    /// in kernel order (and LRU maps, judged by invariants) share between runtimes: on the others
    /// an existing key is taken only when it is the map's one key.
    /// </summary>
    private byte[]? NextKeyFrom(FuzzMap map)
    {
        if (Chance(0.2))
        {
            return null;
        }

        if (map.IsArrayLike || map.IsLru || map.WalksInKernelOrder)
        {
            return map.IsOuter && map.Slots.Count > 0 && Chance(0.5) ? Pick(map.Slots.Keys.ToList()) : Key(map);
        }

        ICollection<byte[]> present = map.IsOuter ? map.Slots.Keys : map.PresentKeys;
        if (present.Count == 1 && Chance(0.5))
        {
            return present.First();
        }

        for (int attempt = 0; attempt < 8; attempt++)
        {
            byte[] key = Key(map);
            if (!present.Contains(key))
            {
                return key;
            }
        }

        return null;
    }

    private Val Value(FuzzMap map)
    {
        if (Chance(0.003))
        {
            // The wrong size: both runtimes refuse it before any system call.
            return Val.Bytes(RandomBytes(map.UserValueSize + 1));
        }

        switch (map.Type)
        {
            case M.DevMap or M.DevMapHash:
                byte[] ifindex = Scenario.U32(Pick([1u, 1u, 1u, 0u, NoSuchIfindex]));
                return map.Info.ValueSize == 8 ? Val.Bytes(Scenario.Cat(ifindex, Scenario.I32(Pick([0, 0, 0, -1, BadFd, 2])))) : Val.Bytes(ifindex);
            case M.ProgArray or M.PerfEventArray or M.CgroupArray:
                return Chance(0.5) ? Val.FdOf(Pick(_model.OpenHandles).Handle) : Val.Fd(Pick([BadFd, -1, 2, 0]));
            default:
                return Val.Bytes(RandomBytes(map.UserValueSize));
        }
    }

    private U UpdateFlags() => Weighted(40, 18, 18, 6, 2, 2, 3, 3, 2, 1) switch
    {
        0 => U.Any,
        1 => U.NoExist,
        2 => U.Exist,
        3 => U.Lock,
        4 => U.Lock | U.NoExist,
        5 => U.Lock | U.Exist,
        6 => (U)3,
        7 => (U)8,
        8 => (U)(1UL << 32),
        _ => (U)(1UL << 63),
    };

    // ---- outer maps --------------------------------------------------------------------------

    private ScenarioStep OuterOperation(int index)
    {
        FuzzHandle handle = PickHandle(h => h.Map.IsOuter)!;
        FuzzMap outer = handle.Map;
        Handle h = handle.Handle;
        // Successful writes each wait for an RCU grace period natively: keep them to their share.
        bool mayWrite = _model.OuterRcuWaits + 1 <= OuterWriteShare * (index + 1);
        switch (Weighted(22, 8, 8, 32, 10, mayWrite ? 20 : 0))
        {
            case 0:
                return new LookupStep(h, OuterKey(outer, preferFilled: Chance(0.6)));
            case 1:
                return new NextKeyStep(h, NextKeyFrom(outer));
            case 2:
                return WalkOperation(handle);
            case 3:
                return FailingOuterUpdate(handle);
            case 4:
                return DeleteMissingSlot(handle);
            default:
                return LikelyOuterWrite(handle);
        }
    }

    private byte[] OuterKey(FuzzMap outer, bool preferFilled)
    {
        if (preferFilled && outer.Slots.Count > 0)
        {
            return Pick(outer.Slots.Keys.ToList());
        }

        return Key(outer);
    }

    private UpdateStep FailingOuterUpdate(FuzzHandle handle)
    {
        FuzzMap outer = handle.Map;
        InnerShape template = outer.Template!;
        Handle h = handle.Handle;
        FuzzHandle? incompatible = PickHandle(c => !template.Fits(c.Map));
        FuzzHandle? compatible = PickHandle(c => template.Fits(c.Map));
        Val anyFd = compatible is not null ? Val.FdOf(compatible.Handle) : Val.FdOf(Pick(_model.OpenHandles).Handle);
        bool array = outer.Type == M.ArrayOfMaps;
        uint max = outer.Info.MaxEntries;
        switch (Weighted(incompatible is null ? 0 : 30, 15, array ? 15 : 0, array ? 10 : 0, array ? 0 : 10, !array && outer.Slots.Count > 0 ? 8 : 0, array ? 0 : 6,
            !array && outer.Slots.Count >= max && compatible is not null ? 10 : 0))
        {
            case 0:
                return new UpdateStep(h, Key(outer), Val.FdOf(incompatible!.Handle), Chance(0.8) ? U.Any : UpdateFlags());
            case 1:
                return new UpdateStep(h, Key(outer), Val.Fd(Pick([BadFd, -1, 2])), Chance(0.7) ? U.Any : UpdateFlags());
            case 2:
                return new UpdateStep(h, Key(outer), anyFd, Pick([U.NoExist, U.Exist, (U)3, U.Lock, (U)8]));
            case 3:
                return new UpdateStep(h, Scenario.U32(max + (uint)_random.Next(0, 4)), Chance(0.5) ? anyFd : Val.Fd(BadFd), Chance(0.7) ? U.Any : UpdateFlags());
            case 4:
                return new UpdateStep(h, MissingSlotKey(outer), anyFd, U.Exist);
            case 5:
                return new UpdateStep(h, Pick(outer.Slots.Keys.ToList()), anyFd, U.NoExist);
            case 6:
                return new UpdateStep(h, Key(outer), anyFd, Pick([U.Lock, (U)8, (U)(1UL << 40)]));
            default:
                return new UpdateStep(h, MissingSlotKey(outer), anyFd, Chance(0.5) ? U.Any : U.NoExist);
        }
    }

    private DeleteStep DeleteMissingSlot(FuzzHandle handle)
    {
        FuzzMap outer = handle.Map;
        if (outer.Type == M.ArrayOfMaps && Chance(0.4))
        {
            return new DeleteStep(handle.Handle, Scenario.U32(outer.Info.MaxEntries + (uint)_random.Next(0, 3)));
        }

        return new DeleteStep(handle.Handle, MissingSlotKey(outer));
    }

    private byte[] MissingSlotKey(FuzzMap outer)
    {
        for (int attempt = 0; attempt < 8; attempt++)
        {
            byte[] key = Key(outer);
            if (!outer.Slots.ContainsKey(key) && (outer.Type != M.ArrayOfMaps || BinaryPrimitives.ReadUInt32LittleEndian(key) < outer.Info.MaxEntries))
            {
                return key;
            }
        }

        return outer.Type == M.ArrayOfMaps ? Scenario.U32(outer.Info.MaxEntries) : RandomBytes(outer.KeySize);
    }

    /// <summary>An outer-map write that should succeed: a compatible inner map into a slot, an emptied slot, or a batch.</summary>
    private ScenarioStep LikelyOuterWrite(FuzzHandle handle)
    {
        FuzzMap outer = handle.Map;
        InnerShape template = outer.Template!;
        Handle h = handle.Handle;
        List<FuzzHandle> compatible = _model.OpenHandles.Where(c => template.Fits(c.Map)).ToList();
        bool array = outer.Type == M.ArrayOfMaps;
        bool full = !array && outer.Slots.Count >= outer.Info.MaxEntries;
        if (compatible.Count == 0 || (outer.Slots.Count > 0 && Chance(0.25)))
        {
            if (outer.Slots.Count > 0)
            {
                return new DeleteStep(h, Pick(outer.Slots.Keys.ToList()));
            }

            return Crowded ? FailingOuterUpdate(handle) : CreateLike(template);
        }

        if (Chance(0.15))
        {
            int count = _random.Next(2, 5);
            byte[][] keys = Enumerable.Range(0, count).Select(_ => array ? Scenario.U32((uint)_random.NextInt64(0, outer.Info.MaxEntries)) : OuterKey(outer, preferFilled: full)).ToArray();
            Val[] values = Enumerable.Range(0, count).Select(_ => Val.FdOf(Pick(compatible).Handle)).ToArray();
            return new UpdateBatchStep(h, keys, values, U.Any);
        }

        Val inner = Val.FdOf(Pick(compatible).Handle);
        if (array)
        {
            return new UpdateStep(h, Scenario.U32((uint)_random.NextInt64(0, outer.Info.MaxEntries)), inner, U.Any);
        }

        if (full || (outer.Slots.Count > 0 && Chance(0.4)))
        {
            return new UpdateStep(h, Pick(outer.Slots.Keys.ToList()), inner, Chance(0.5) ? U.Any : U.Exist);
        }

        return new UpdateStep(h, MissingSlotKey(outer), inner, Chance(0.5) ? U.Any : U.NoExist);
    }

    // ---- creation ----------------------------------------------------------------------------

    private CreateStep CreateValid()
    {
        FuzzHandle? outerWithoutInner = PickHandle(h => h.Map.IsOuter && !_model.OpenHandles.Any(c => h.Map.Template!.Fits(c.Map)));
        int choice = Weighted(14, 6, 8, 5, 10, 5, 5, 5, 6, 6, 2, 1, 1, 1, outerWithoutInner is null ? 2 : 8, 4);
        if (choice == 14)
        {
            return outerWithoutInner is not null ? CreateLike(outerWithoutInner.Map.Template!) : CreateOuterOrData(M.Hash);
        }

        if (choice == 15)
        {
            (M type, uint key, uint value, uint max, F flags) = Pick(s_otherTypes);
            return Create(type, key, value, max, flags | FdOnlyFlag());
        }

        M[] types =
        [
            M.Hash, M.PerCpuHash, M.LruHash, M.LruPerCpuHash, M.Array, M.PerCpuArray, M.DevMap, M.DevMapHash, M.ArrayOfMaps, M.HashOfMaps,
            M.ProgArray, M.PerfEventArray, M.CgroupArray, M.StackTrace,
        ];
        return CreateOuterOrData(types[choice]);
    }

    private CreateStep CreateOuterOrData(M type)
    {
        if (type is M.ArrayOfMaps or M.HashOfMaps)
        {
            // Mostly a template the kernel takes; now and then any map (an outer map, a program array: refused).
            FuzzHandle? template = _model.OpenHandles.Count == 0 ? null
                : Chance(0.85) ? PickHandle(h => !h.Map.IsOuter && h.Map.Type != M.ProgArray)
                : Pick(_model.OpenHandles);
            if (template is null)
            {
                type = M.Hash;
            }
            else
            {
                (uint key, F flags) = type == M.ArrayOfMaps
                    ? (4u, Chance(0.1) ? F.NumaNode : F.None)
                    : (Pick([4u, 4u, 8u, 12u]), Maybe(0.3, F.NoPrealloc) | Maybe(0.3, F.ZeroSeed));
                return Create(type, key, 4, Pick([1u, 2u, 3u, 4u, 8u]), flags | FdOnlyFlag(), template.Handle);
            }
        }

        (uint keySize, uint valueSize, uint maxEntries, F mapFlags) = DataSpec(type);
        return Create(type, keySize, valueSize, maxEntries, mapFlags | FdOnlyFlag());
    }

    /// <summary>Valid attributes of a data map of <paramref name="type"/>, small enough to cost the kernel little.</summary>
    private (uint Key, uint Value, uint Max, F Flags) DataSpec(M type)
    {
        F programAccess = Weighted(90, 5, 5) switch { 0 => F.None, 1 => F.RdOnlyProg, _ => F.WrOnlyProg };
        switch (type)
        {
            case M.Hash or M.PerCpuHash:
                // Now and then a long key, or many entries (with small values, to stay cheap).
                uint hashKey = Chance(0.03) ? Pick([64u, 255u, 512u]) : Pick([1u, 2u, 3u, 4u, 4u, 4u, 8u, 8u, 12u, 16u, 33u]);
                uint hashMax = Chance(0.03) ? Pick([128u, 1000u]) : Pick([1u, 2u, 3u, 4u, 8u, 16u, 16u, 32u, 64u]);
                return (hashKey, hashMax > 64 ? Pick([4u, 8u]) : Pick([1u, 4u, 4u, 8u, 8u, 12u, 20u, 64u]), hashMax,
                    Maybe(0.3, F.NoPrealloc) | Maybe(0.3, F.ZeroSeed) | (type == M.Hash ? Maybe(0.1, F.NumaNode) : F.None) | programAccess);
            case M.LruHash or M.LruPerCpuHash:
                F lruFlags = Maybe(0.3, F.NoCommonLru) | Maybe(0.3, F.ZeroSeed) | programAccess;
                if (type == M.LruHash && (lruFlags & F.NoCommonLru) == 0)
                {
                    lruFlags |= Maybe(0.1, F.NumaNode);
                }

                return (Pick([1u, 4u, 4u, 4u, 8u, 12u, 16u]), Pick([1u, 4u, 8u, 12u, 20u]), Pick([1u, 2u, 3u, 4u, 8u, 16u, 32u, 100u, 1000u]), lruFlags);
            case M.Array:
                return (4, Pick([1u, 3u, 4u, 8u, 12u, 16u, 64u]), Pick([1u, 2u, 3u, 4u, 8u, 16u, 64u]),
                    Maybe(0.1, F.Mmapable) | Maybe(0.15, F.InnerMap) | Maybe(0.1, F.NumaNode) | programAccess);
            case M.PerCpuArray:
                return (4, Pick([1u, 4u, 8u, 12u, 20u]), Pick([1u, 2u, 3u, 4u, 8u, 16u]), programAccess);
            case M.DevMap or M.DevMapHash:
                return (4, Pick([4u, 4u, 8u]), Pick([1u, 2u, 4u, 8u, 16u]), Maybe(0.1, F.NumaNode));
            case M.StackTrace:
                return (4, Pick([8u, 16u, 64u]), Pick([1u, 2u, 4u]), F.None);
            default:
                // ProgArray, PerfEventArray, CgroupArray: the value is an fd.
                return (4, 4, Pick([1u, 2u, 4u, 8u]), Maybe(0.1, F.NumaNode));
        }
    }

    /// <summary>A map the template should accept: same type, sizes and flags; other max entries where the kernel allows it.</summary>
    private CreateStep CreateLike(InnerShape template)
    {
        uint max = MapTypeTraits.InnerMaxEntriesMayDiffer(template.Type, template.Flags) && Chance(0.5)
            ? Pick([1u, 2u, 4u, 8u, 16u]) : template.MaxEntries;
        if (template.Type is M.RingBuf or M.UserRingBuf or M.Arena or M.CgroupStorage or M.PerCpuCgroupStorage)
        {
            max = template.MaxEntries;
        }

        // The kernel adds RdOnlyProg to device maps itself, and refuses it when asked for.
        F flags = template.Flags & ~BpfMapRules.KernelAddedFlags(template.Type);
        return Create(template.Type, template.KeySize, template.ValueSize, max, flags | FdOnlyFlag());
    }

    private CreateStep Create(M type, uint key, uint value, uint max, F flags, Handle? inner = null)
    {
        var options = new BpfMapCreateOptions
        {
            Type = type, KeySize = key, ValueSize = value, MaxEntries = max, Flags = flags, Name = Name(valid: Chance(0.98)),
            NumaNode = (flags & F.NumaNode) != 0 && Chance(0.3) ? uint.MaxValue : 0,
        };
        return new CreateStep(options, inner, _model.ReserveHandle(), KeepOpen: true);
    }

    private F FdOnlyFlag() => Weighted(92, 4, 4) switch { 0 => F.None, 1 => F.RdOnly, _ => F.WrOnly };

    /// <summary>A creation that is closed at once: valid attributes of any type with one or two changes the kernel may refuse.</summary>
    private CreateStep TryCreate()
    {
        M type;
        uint key, value, max;
        F flags;
        if (Chance(0.3))
        {
            (type, key, value, max, flags) = Pick(s_otherTypes);
        }
        else
        {
            type = RandomDataType();
            (key, value, max, flags) = DataSpec(type);
        }

        Handle? inner = null;
        int innerFd = 0;
        if (type is M.ArrayOfMaps or M.HashOfMaps)
        {
            (key, value, max) = (type == M.ArrayOfMaps ? 4u : Pick([4u, 8u]), 4u, Pick([1u, 2u, 4u]));
            if (Chance(0.8))
            {
                inner = Pick(_model.OpenHandles).Handle;
            }
            else
            {
                innerFd = Pick([BadFd, -1, 2, 0]);
            }
        }

        int btfFd = 0;
        Handle? btfOf = null;
        uint btfKey = 0, btfValue = 0, numaNode = 0;
        string? name = null;
        int mutations = _random.Next(1, 3);
        for (int i = 0; i < mutations; i++)
        {
            switch (_random.Next(0, 9))
            {
                case 0:
                    key = Pick([0u, key + 1, 8u, key == 0 ? 4u : key * 2]);
                    break;
                case 1:
                    value = Pick([0u, value + 1, 2u, 8u, 32769u]);
                    break;
                case 2:
                    // Only sizes every kernel refuses before it allocates anything.
                    max = type is M.Hash or M.PerCpuHash or M.LruHash or M.LruPerCpuHash or M.HashOfMaps ? Pick([0u, uint.MaxValue, (1u << 27) + 1])
                        : type == M.DevMapHash ? Pick([0u, (1u << 31) + 1])
                        : 0;
                    break;
                case 3:
                    flags ^= (F)(1u << _random.Next(0, 20));
                    break;
                case 4:
                    flags |= Pick([F.RdOnly | F.WrOnly, F.RdOnlyProg | F.WrOnlyProg, F.NoCommonLru, F.Mmapable, F.InnerMap, F.NumaNode]);
                    break;
                case 5:
                    (flags, numaNode) = Chance(0.5) ? (flags | F.NumaNode, Pick([0u, 1u, 7u, uint.MaxValue])) : (flags, 1u);
                    break;
                case 6:
                    type = Pick([M.Unspec, (M)34, (M)40, (M)1000]);
                    break;
                case 7:
                    name = Name(valid: false);
                    break;
                default:
                    (btfKey, btfValue) = Pick([(1u, 0u), (1u, 2u), (0u, 2u)]);
                    if (Chance(0.5))
                    {
                        btfOf = Pick(_model.OpenHandles).Handle;
                    }
                    else
                    {
                        btfFd = Pick([BadFd, -1, 0, 2]);
                    }

                    break;
            }
        }

        if (type == M.Hash && key + (ulong)value < 64 && Chance(0.05))
        {
            // Key and value together beyond what one kmalloc holds.
            (key, value) = (8, (4u << 20) - 48 - 8);
        }

        var options = new BpfMapCreateOptions
        {
            Type = type, KeySize = key, ValueSize = value, MaxEntries = max, Flags = flags, NumaNode = numaNode, Name = name ?? Name(valid: true),
            InnerMapFd = innerFd, BtfFd = btfFd, BtfKeyTypeId = btfKey, BtfValueTypeId = btfValue,
        };
        return new CreateStep(options, inner, null, KeepOpen: false) { BtfOf = btfOf };
    }

    private M RandomDataType() => Pick([
        M.Hash, M.PerCpuHash, M.LruHash, M.LruPerCpuHash, M.Array, M.PerCpuArray, M.DevMap, M.DevMapHash, M.ArrayOfMaps, M.HashOfMaps,
        M.ProgArray, M.PerfEventArray, M.CgroupArray, M.StackTrace,
    ]);

    private string? Name(bool valid)
    {
        if (!valid)
        {
            return Pick(["bad-name", "sixteen_chars_xx", "sp ace", "caf\u00e9", "slash/"]);
        }

        if (Chance(0.7))
        {
            return null;
        }

        const string chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.";
        return new string(Enumerable.Range(0, _random.Next(1, 16)).Select(_ => chars[_random.Next(chars.Length)]).ToArray());
    }

    // ---- handles -----------------------------------------------------------------------------

    private OpenByIdStep OpenById(bool crowded)
    {
        List<FuzzHandle> reopenable = _model.RecentlyClosed.Where(h => !h.Map.IsFreed).ToList();
        int choice = Weighted(crowded ? 0 : 40, crowded || reopenable.Count == 0 ? 0 : 25, _model.RecentlyFreed.Count == 0 ? 0 : 30, 5);
        return choice switch
        {
            0 => new OpenByIdStep(Pick(_model.OpenHandles).Handle, null, _model.ReserveHandle()),
            1 => new OpenByIdStep(Pick(reopenable).Handle, null, _model.ReserveHandle()),
            2 => new OpenByIdStep(Pick(_model.RecentlyFreed), null, _model.ReserveHandle()),
            _ => new OpenByIdStep(null, Pick([0u, uint.MaxValue, (uint)int.MaxValue]), _model.ReserveHandle()),
        };
    }

    private ScenarioStep PinOperation(bool crowded)
    {
        string name = Pick(s_pinNames);
        bool full = _model.Pins.Count >= MaxPins;
        switch (Weighted(full || crowded ? 2 : 35, crowded ? 0 : 30, full || crowded ? 60 : 35))
        {
            case 0:
                return new PinStep(Pick(_model.OpenHandles).Handle, name);
            case 1:
                return new OpenPinnedStep(name, _model.ReserveHandle());
            default:
                if (_model.Pins.Count > 0 && Chance(0.8))
                {
                    (string pinned, FuzzMap map) = Pick(_model.Pins.ToList());
                    FuzzHandle? own = PickHandle(h => h.Map == map);
                    if (own is null)
                    {
                        // A handle of the pinned map is needed to unpin it: open one first.
                        return new OpenPinnedStep(pinned, _model.ReserveHandle());
                    }

                    return new UnpinStep(Chance(0.85) ? own.Handle : Pick(_model.OpenHandles).Handle, pinned);
                }

                return new UnpinStep(Pick(_model.OpenHandles).Handle, name);
        }
    }

    /// <summary>An operation on a closed handle: both runtimes refuse it (ObjectDisposedException), or do nothing for a second close.</summary>
    private ScenarioStep MisuseClosedHandle()
    {
        if (_model.RecentlyClosed.Count == 0)
        {
            return new OpenByIdStep(null, 0, _model.ReserveHandle());
        }

        FuzzHandle closed = Pick(_model.RecentlyClosed);
        Handle h = closed.Handle;
        return _random.Next(0, 5) switch
        {
            0 => new LookupStep(h, Key(closed.Map)),
            1 => new UpdateStep(h, Key(closed.Map), Val.Bytes(RandomBytes(closed.Map.UserValueSize)), U.Any),
            2 => new DuplicateStep(h, _model.ReserveHandle()),
            3 => new PinStep(h, Pick(s_pinNames)),
            _ => new CloseStep(h),
        };
    }

    // ---- randomness --------------------------------------------------------------------------

    private FuzzHandle? PickHandle(Func<FuzzHandle, bool> predicate)
    {
        IReadOnlyList<FuzzHandle> open = _model.OpenHandles;
        int count = 0;
        FuzzHandle? chosen = null;
        // Reservoir sampling: one pass, no list.
        foreach (FuzzHandle handle in open)
        {
            if (predicate(handle) && _random.Next(++count) == 0)
            {
                chosen = handle;
            }
        }

        return chosen;
    }

    private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    private bool Chance(double probability) => _random.NextDouble() < probability;

    private F Maybe(double probability, F flag) => Chance(probability) ? flag : F.None;

    private byte[] RandomBytes(int length)
    {
        byte[] bytes = new byte[length];
        _random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>The index of one of <paramref name="weights"/>, chosen with probability proportional to it.</summary>
    private int Weighted(params double[] weights)
    {
        double roll = _random.NextDouble() * weights.Sum();
        for (int i = 0; i < weights.Length; i++)
        {
            roll -= weights[i];
            if (roll < 0 && weights[i] > 0)
            {
                return i;
            }
        }

        return Array.FindLastIndex(weights, w => w > 0);
    }
}
