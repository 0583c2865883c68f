using MapGen.Differential.Tests.Model;
using static MapGen.BpfErrno;
using static MapGen.Differential.Tests.Model.Scenario;
using F = MapGen.BpfMapFlags;
using M = MapGen.BpfMapType;
using U = MapGen.BpfUpdateFlags;

namespace MapGen.Differential.Tests.Scenarios;

/// <summary>
/// Creation flag masks: every <see cref="BpfMapFlags"/> bit (and one past them) alone against
/// every map type of the emulated-runtime issue, then the combinations the kernel refuses; and
/// the <c>BPF_F_LOCK</c> update flag, which needs a spin lock no map here has.
/// </summary>
public static partial class Catalog
{
    private const F Access = F.RdOnly | F.WrOnly | F.RdOnlyProg | F.WrOnlyProg;
    private const F FdAccess = F.RdOnly | F.WrOnly;

    /// <summary>Each type with the sizes it is created with, the flags its create mask accepts alone, and the errno of the others.</summary>
    private static readonly (M Type, uint Key, uint Value, uint Max, F Accepted)[] s_flagMasks =
    [
        (M.Array, 4, 8, 4, F.NumaNode | F.Mmapable | F.InnerMap | Access),
        (M.PerCpuArray, 4, 8, 4, Access),
        (M.Hash, 4, 8, 4, F.NoPrealloc | F.NumaNode | F.ZeroSeed | Access),
        (M.PerCpuHash, 4, 8, 4, F.NoPrealloc | F.ZeroSeed | Access),
        (M.LruHash, 4, 8, 4, F.NoCommonLru | F.NumaNode | F.ZeroSeed | Access),
        (M.LruPerCpuHash, 4, 8, 4, F.NoCommonLru | F.ZeroSeed | Access),
        (M.DevMap, 4, 4, 4, F.NumaNode | FdAccess),
        (M.DevMapHash, 4, 4, 4, F.NumaNode | FdAccess),
        (M.ArrayOfMaps, 4, 4, 4, F.NumaNode | FdAccess),
        (M.HashOfMaps, 4, 4, 4, F.NoPrealloc | F.NumaNode | F.ZeroSeed | Access),
        (M.ProgArray, 4, 4, 4, F.NumaNode | FdAccess),
    ];

    private static IEnumerable<Scenario> FlagScenarios()
    {
        foreach ((M type, uint key, uint value, uint max, F accepted) in s_flagMasks)
        {
            var s = new Scenario($"flags.{type}", $"{type}: the create mask, each flag bit alone (accepted: {accepted})");
            Handle? template = type is M.ArrayOfMaps or M.HashOfMaps ? s.Create(M.Hash, 4, 4, 4) : null;
            for (int bit = 0; bit <= 19; bit++)
            {
                var flag = (F)(1u << bit);
                BpfErrno expected = (accepted & flag) != 0 ? None
                    // LRU maps are always preallocated: the kernel says so with ENOTSUPP, after the mask.
                    : flag == F.NoPrealloc && type is M.LruHash or M.LruPerCpuHash ? ENOTSUPP
                    : EINVAL;
                s.TryCreate(type, key, value, max, flag, inner: template, expect: expected);
            }

            // The fd-only pair together, and the program pair together, are refused by every type.
            s.TryCreate(type, key, value, max, F.RdOnly | F.WrOnly, inner: template, expect: EINVAL);
            s.TryCreate(type, key, value, max, F.RdOnlyProg | F.WrOnlyProg, inner: template, expect: EINVAL);
            // One NUMA node (0); NUMA_NO_NODE (-1) is as if the flag were not given.
            BpfErrno numa = (accepted & F.NumaNode) != 0 ? None : EINVAL;
            s.TryCreate(type, key, value, max, F.NumaNode, inner: template, numaNode: 0, expect: numa);
            s.TryCreate(type, key, value, max, F.NumaNode, inner: template, numaNode: 1, expect: EINVAL);
            s.TryCreate(type, key, value, max, F.NumaNode, inner: template, numaNode: uint.MaxValue, expect: None);
            s.TryCreate(type, key, value, max, BpfMapFlags.None, inner: template, numaNode: 1, expect: None);
            yield return s;
        }

        var more = new Scenario("flags.combinations", "Flag combinations: NoCommonLru with a NUMA node, per-CPU maps with one, RdOnly with other flags, flags reported");
        more.TryCreate(M.LruHash, 4, 8, 4, F.NoCommonLru | F.NumaNode, expect: EINVAL);
        more.TryCreate(M.LruHash, 4, 8, 4, F.NoCommonLru | F.NumaNode, numaNode: uint.MaxValue);
        more.TryCreate(M.LruHash, 4, 8, 4, F.NoCommonLru | F.ZeroSeed | F.RdOnly);
        more.TryCreate(M.Hash, 4, 8, 4, F.NoPrealloc | F.ZeroSeed | F.NumaNode | F.RdOnlyProg | F.WrOnly);
        more.TryCreate(M.Array, 4, 8, 4, F.Mmapable | F.InnerMap | F.RdOnlyProg);
        more.TryCreate(M.Array, 4, 8, 4, F.Mmapable | F.NoPrealloc, expect: EINVAL);
        more.TryCreate(M.DevMap, 4, 4, 4, F.NumaNode | F.RdOnly);
        more.TryCreate(M.DevMapHash, 4, 8, 4, F.WrOnly);
        more.TryCreate(M.PerCpuHash, 4, 8, 4, F.NoPrealloc | F.NumaNode, expect: EINVAL);
        more.TryCreate(M.Hash, 4, 8, 4, F.NoCommonLru | F.NoPrealloc, expect: EINVAL);
        more.TryCreate(M.LruHash, 4, 8, 4, F.NoPrealloc | F.Mmapable, expect: EINVAL);
        more.TryCreate(M.LruHash, 4, 8, 4, F.NoPrealloc | F.RdOnly | F.WrOnly, expect: EINVAL);
        yield return more;

        var lockFlag = new Scenario("flags.lock_update", "BPF_F_LOCK on update needs a bpf_spin_lock in the value: EINVAL on every map here, before any other check");
        Handle array = lockFlag.Create(M.Array, 4, 8, 2);
        Handle perCpuArray = lockFlag.Create(M.PerCpuArray, 4, 8, 2);
        Handle hash = lockFlag.Create(M.Hash, 4, 8, 2);
        Handle perCpuHash = lockFlag.Create(M.PerCpuHash, 4, 8, 2);
        Handle lru = lockFlag.Create(M.LruHash, 4, 8, 2);
        Handle lruPerCpu = lockFlag.Create(M.LruPerCpuHash, 4, 8, 2);
        Handle devmap = lockFlag.Create(M.DevMap, 4, 4, 2);
        Handle devmapHash = lockFlag.Create(M.DevMapHash, 4, 4, 2);
        Handle inner = lockFlag.Create(M.Hash, 4, 4, 2);
        Handle aom = lockFlag.Create(M.ArrayOfMaps, 4, 4, 2, inner: inner);
        Handle hom = lockFlag.Create(M.HashOfMaps, 4, 4, 2, inner: inner);
        Handle progArray = lockFlag.Create(M.ProgArray, 4, 4, 2);
        Handle readOnly = lockFlag.Create(M.Hash, 4, 8, 2, F.RdOnly);
        foreach (Handle map in new[] { array, perCpuArray, hash, perCpuHash, lru, lruPerCpu })
        {
            lockFlag.Update(map, U32(0), Val.Pattern(1), U.Lock, EINVAL);
            lockFlag.Update(map, U32(0), Val.Pattern(1), U.Lock | U.NoExist, EINVAL);
            lockFlag.Update(map, U32(5), Val.Pattern(1), U.Lock | U.Exist, EINVAL);
        }

        foreach (Handle map in new[] { devmap, devmapHash })
        {
            lockFlag.Update(map, U32(0), U32(1), U.Lock, EINVAL);
            lockFlag.Update(map, U32(9), U32(NoSuchIfindex), U.Lock, EINVAL);
        }

        lockFlag.Update(aom, U32(0), Val.FdOf(inner), U.Lock, EINVAL);
        lockFlag.Update(aom, U32(7), Val.Fd(BadFd), U.Lock, EINVAL);
        lockFlag.Update(hom, U32(0), Val.Fd(BadFd), U.Lock, EINVAL);
        lockFlag.Update(progArray, U32(0), Val.Fd(BadFd), U.Lock, EINVAL);
        // The fd's permissions come first.
        lockFlag.Update(readOnly, U32(0), Val.Pattern(1), U.Lock, EPERM);
        yield return lockFlag;

        var updateFlags = new Scenario("flags.update_flags", "Update flags beyond BPF_ANY/NOEXIST/EXIST/F_LOCK (bit 3 and up, the high 32 bits): EINVAL on every map");
        array = updateFlags.Create(M.Array, 4, 8, 2);
        perCpuArray = updateFlags.Create(M.PerCpuArray, 4, 8, 2);
        hash = updateFlags.Create(M.Hash, 4, 8, 2);
        perCpuHash = updateFlags.Create(M.PerCpuHash, 4, 8, 2);
        lru = updateFlags.Create(M.LruHash, 4, 8, 2);
        lruPerCpu = updateFlags.Create(M.LruPerCpuHash, 4, 8, 2);
        devmap = updateFlags.Create(M.DevMap, 4, 4, 2);
        devmapHash = updateFlags.Create(M.DevMapHash, 4, 4, 2);
        inner = updateFlags.Create(M.Hash, 4, 4, 2);
        aom = updateFlags.Create(M.ArrayOfMaps, 4, 4, 2, inner: inner);
        hom = updateFlags.Create(M.HashOfMaps, 4, 4, 2, inner: inner);
        progArray = updateFlags.Create(M.ProgArray, 4, 4, 2);
        foreach (Handle map in new[] { array, perCpuArray, hash, perCpuHash, lru, lruPerCpu })
        {
            foreach (ulong flags in new ulong[] { 3, 8, 16, 1UL << 31, 1UL << 32, (1UL << 32) | 8 })
            {
                updateFlags.Update(map, U32(0), Val.Pattern(1), (U)flags, EINVAL);
            }
        }

        foreach (Handle map in new[] { devmap, devmapHash })
        {
            updateFlags.Update(map, U32(0), U32(1), (U)8, EINVAL);
            updateFlags.Update(map, U32(0), U32(1), (U)(1UL << 32), EINVAL);
        }

        updateFlags.Update(aom, U32(0), Val.FdOf(inner), (U)8, EINVAL);
        updateFlags.Update(hom, U32(0), Val.FdOf(inner), (U)8, EINVAL);
        updateFlags.Update(hom, U32(0), Val.Fd(BadFd), (U)8, EBADF);
        updateFlags.Update(progArray, U32(0), Val.Fd(BadFd), (U)8, EINVAL);
        yield return updateFlags;
    }
}
