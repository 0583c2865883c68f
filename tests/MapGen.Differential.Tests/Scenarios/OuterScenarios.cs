using MapGen.Differential.Tests.Model;
using static MapGen.BpfErrno;
using static MapGen.Differential.Tests.Model.Scenario;
using F = MapGen.BpfMapFlags;
using M = MapGen.BpfMapType;
using U = MapGen.BpfUpdateFlags;

namespace MapGen.Differential.Tests.Scenarios;

/// <summary>
/// ArrayOfMaps and HashOfMaps: creation and template rules, the compatibility check on update,
/// errno order, and inner map lifetime. Successful outer updates and deletes each wait for an RCU
/// grace period in the kernel (about 12 ms here), so the scenarios make few of them.
/// </summary>
public static partial class Catalog
{
    private static IEnumerable<Scenario> OuterScenarios()
    {
        var s = new Scenario("outer.create", "Outer creation: value size 4, ArrayOfMaps key size 4, max entries > 0; the attributes before the template fd, the fd before the name");
        Handle t = s.Create(M.Hash, 4, 4, 8);
        s.TryCreate(M.ArrayOfMaps, 4, 4, 4, inner: t);
        s.TryCreate(M.HashOfMaps, 4, 4, 4, inner: t);
        s.TryCreate(M.HashOfMaps, 12, 4, 4, F.NoPrealloc, inner: t);
        s.TryCreate(M.ArrayOfMaps, 4, 8, 4, inner: t, expect: EINVAL);
        s.TryCreate(M.ArrayOfMaps, 8, 4, 4, inner: t, expect: EINVAL);
        s.TryCreate(M.ArrayOfMaps, 4, 4, 0, inner: t, expect: EINVAL);
        s.TryCreate(M.HashOfMaps, 4, 8, 4, inner: t, expect: EINVAL);
        s.TryCreate(M.HashOfMaps, 0, 4, 4, inner: t, expect: EINVAL);
        s.TryCreate(M.HashOfMaps, 4, 4, 0, inner: t, expect: EINVAL);
        s.TryCreate(M.ArrayOfMaps, 4, 4, 4, innerFd: BadFd, expect: EBADF);
        s.TryCreate(M.HashOfMaps, 4, 4, 4, innerFd: -1, expect: EBADF);
        s.TryCreate(M.ArrayOfMaps, 8, 4, 4, innerFd: BadFd, expect: EINVAL);
        s.TryCreate(M.ArrayOfMaps, 4, 4, 0, innerFd: BadFd, expect: EINVAL);
        s.TryCreate(M.HashOfMaps, 4, 8, 4, innerFd: BadFd, expect: EINVAL);
        s.TryCreate(M.HashOfMaps, 4, 4, 4, innerFd: BadFd, name: "bad-name", expect: EBADF);
        s.TryCreate(M.ArrayOfMaps, 4, 4, 4, inner: t, name: "bad-name", expect: EINVAL);
        s.TryCreate(M.ArrayOfMaps, 4, 4, 4, inner: t, name: "outer_ok");
        // fd 2 is stderr: open, but not a map.
        s.TryCreate(M.ArrayOfMaps, 4, 4, 4, innerFd: 2, expect: EINVAL);
        s.TryCreate(M.HashOfMaps, 4, 4, 4, innerFd: 2, expect: EINVAL);
        yield return s;

        s = new Scenario("outer.templates", "Inner templates: ProgArray, CgroupStorage, PerCpuCgroupStorage -> ENOTSUPP; an outer map -> EINVAL; every other type is accepted");
        foreach ((M type, uint key, uint value, uint max, F flags, BpfErrno expected) in new (M, uint, uint, uint, F, BpfErrno)[]
        {
            (M.ProgArray, 4, 4, 4, F.None, ENOTSUPP),
            (M.CgroupStorage, 8, 4, 0, F.None, ENOTSUPP),
            (M.PerCpuCgroupStorage, 8, 4, 0, F.None, ENOTSUPP),
            (M.CgroupStorage, 16, 4, 0, F.None, ENOTSUPP),
            (M.Array, 4, 4, 4, F.None, None),
            (M.Array, 4, 4, 4, F.InnerMap, None),
            (M.PerCpuArray, 4, 4, 4, F.None, None),
            (M.Hash, 4, 4, 4, F.None, None),
            (M.PerCpuHash, 4, 4, 4, F.None, None),
            (M.LruHash, 4, 4, 4, F.None, None),
            (M.LruPerCpuHash, 4, 4, 4, F.None, None),
            (M.DevMap, 4, 4, 4, F.None, None),
            (M.DevMapHash, 4, 4, 4, F.None, None),
            (M.PerfEventArray, 4, 4, 4, F.None, None),
            (M.CgroupArray, 4, 4, 4, F.None, None),
            (M.StackTrace, 4, 8, 4, F.None, None),
            (M.LpmTrie, 8, 4, 4, F.NoPrealloc, None),
            (M.Queue, 0, 4, 4, F.None, None),
            (M.Stack, 0, 4, 4, F.None, None),
            (M.RingBuf, 0, 0, 4096, F.None, None),
            (M.UserRingBuf, 0, 0, 4096, F.None, None),
            (M.BloomFilter, 0, 4, 4, F.None, None),
            (M.CpuMap, 4, 4, 2, F.None, None),
            (M.XskMap, 4, 4, 4, F.None, None),
            (M.SockMap, 4, 4, 4, F.None, None),
            (M.SockHash, 4, 4, 4, F.None, None),
            (M.ReuseportSockArray, 4, 4, 4, F.None, None),
        })
        {
            Handle template = s.Create(type, key, value, max, flags);
            s.TryCreate(M.ArrayOfMaps, 4, 4, 2, inner: template, expect: expected);
            s.TryCreate(M.HashOfMaps, 4, 4, 2, inner: template, expect: expected);
            s.Close(template);
        }

        Handle hashTemplate = s.Create(M.Hash, 4, 4, 4);
        Handle arrayOfMaps = s.Create(M.ArrayOfMaps, 4, 4, 2, inner: hashTemplate);
        Handle hashOfMaps = s.Create(M.HashOfMaps, 4, 4, 2, inner: hashTemplate);
        s.TryCreate(M.ArrayOfMaps, 4, 4, 2, inner: arrayOfMaps, expect: EINVAL);
        s.TryCreate(M.HashOfMaps, 4, 4, 2, inner: arrayOfMaps, expect: EINVAL);
        s.TryCreate(M.ArrayOfMaps, 4, 4, 2, inner: hashOfMaps, expect: EINVAL);
        s.TryCreate(M.HashOfMaps, 4, 4, 2, inner: hashOfMaps, expect: EINVAL);
        // The outer map's own creation checks come before the template's.
        Handle progArray = s.Create(M.ProgArray, 4, 4, 4);
        s.TryCreate(M.ArrayOfMaps, 8, 4, 2, inner: progArray, expect: EINVAL);
        s.TryCreate(M.HashOfMaps, 4, 4, 0, inner: progArray, expect: EINVAL);
        yield return s;

        s = new Scenario("outer.array_of_maps", "ArrayOfMaps: fd in, ID out; only BPF_ANY (flags before the index); index >= max -> E2BIG before the fd; empty slot -> ENOENT; delete out of range -> E2BIG");
        t = s.Create(M.Hash, 4, 4, 8);                 // I1
        Handle aom = s.Create(M.ArrayOfMaps, 4, 4, 2, inner: t); // I2
        s.Close(t);
        Handle i1 = s.Create(M.Hash, 4, 4, 8);         // I3
        Handle i2 = s.Create(M.Hash, 4, 4, 100);       // I4: hash inners may have other max entries
        s.Lookup(aom, U32(0), ENOENT);
        s.Update(aom, U32(0), Val.FdOf(i1), U.NoExist, EINVAL);
        s.Update(aom, U32(0), Val.FdOf(i1), U.Exist, EINVAL);
        s.Update(aom, U32(0), Val.FdOf(i1), (U)3, EINVAL);
        s.Update(aom, U32(0), Val.FdOf(i1), U.Lock, EINVAL);
        s.Update(aom, U32(2), Val.FdOf(i1), U.Any, E2BIG);
        s.Update(aom, U32(2), Val.Fd(BadFd), U.Any, E2BIG);
        s.Update(aom, U32(2), Val.FdOf(i1), U.NoExist, EINVAL);
        s.Update(aom, U32(0), Val.Fd(BadFd), U.Any, EBADF);
        s.Update(aom, U32(0), Val.Fd(-1), U.Any, EBADF);
        s.Update(aom, U32(0), Val.Fd(2), U.Any, EINVAL);
        s.Update(aom, U32(0), Val.FdOf(i1), U.Any, None);
        s.Lookup(aom, U32(0), None, value: "I3");
        s.Update(aom, U32(1), Val.FdOf(i2), U.Any, None);
        s.Lookup(aom, U32(1), None, value: "I4");
        s.Lookup(aom, U32(2), ENOENT);
        s.Delete(aom, U32(2), E2BIG);
        s.Delete(aom, U32(uint.MaxValue), E2BIG);
        s.Delete(aom, U32(0), None);
        s.Delete(aom, U32(0), ENOENT);
        s.Lookup(aom, U32(0), ENOENT);
        s.NextKey(aom, null, None, next: "00000000");
        s.NextKey(aom, U32(1), ENOENT);
        s.NextKey(aom, U32(5), None, next: "00000000");
        s.Dump(aom, "00000000=!ENOENT,01000000=I4");
        yield return s;

        s = new Scenario("outer.compatibility", "Outer update checks the inner map against the template (EINVAL): type, key size, value size, flags (not the fd-only RdOnly/WrOnly); max entries only for Array without InnerMap, and XskMap");
        t = s.Create(M.Hash, 4, 8, 8);
        Handle hashOuter = s.Create(M.ArrayOfMaps, 4, 4, 4, inner: t);
        foreach ((M type, uint key, uint value, uint max, F flags) in new (M, uint, uint, uint, F)[]
        {
            (M.LruHash, 4, 8, 8, F.None),
            (M.PerCpuHash, 4, 8, 8, F.None),
            (M.Array, 4, 8, 8, F.None),
            (M.Hash, 8, 8, 8, F.None),
            (M.Hash, 4, 4, 8, F.None),
            (M.Hash, 4, 8, 8, F.NoPrealloc),
            (M.Hash, 4, 8, 8, F.ZeroSeed),
            (M.Hash, 4, 8, 8, F.RdOnlyProg),
        })
        {
            Handle wrong = s.Create(type, key, value, max, flags);
            s.Update(hashOuter, U32(0), Val.FdOf(wrong), EINVAL);
            s.Close(wrong);
        }

        Handle other = s.Create(M.Hash, 4, 8, 100, F.RdOnly);
        s.Update(hashOuter, U32(0), Val.FdOf(other), None);

        Handle arrayTemplate = s.Create(M.Array, 4, 4, 4);
        Handle arrayOuter = s.Create(M.HashOfMaps, 4, 4, 4, inner: arrayTemplate);
        Handle longer = s.Create(M.Array, 4, 4, 8);
        s.Update(arrayOuter, U32(0), Val.FdOf(longer), EINVAL);
        Handle flexible = s.Create(M.Array, 4, 4, 4, F.InnerMap);
        s.Update(arrayOuter, U32(0), Val.FdOf(flexible), EINVAL);
        Handle flexibleTemplate = s.Create(M.Array, 4, 4, 4, F.InnerMap);
        Handle flexibleOuter = s.Create(M.ArrayOfMaps, 4, 4, 4, inner: flexibleTemplate);
        Handle flexibleLonger = s.Create(M.Array, 4, 4, 16, F.InnerMap);
        s.Update(flexibleOuter, U32(1), Val.FdOf(flexibleLonger), None);
        s.Update(flexibleOuter, U32(1), Val.FdOf(longer), EINVAL);

        Handle xskTemplate = s.Create(M.XskMap, 4, 4, 4);
        Handle xskOuter = s.Create(M.ArrayOfMaps, 4, 4, 4, inner: xskTemplate);
        Handle xskLonger = s.Create(M.XskMap, 4, 4, 8);
        s.Update(xskOuter, U32(0), Val.FdOf(xskLonger), EINVAL);

        Handle devTemplate = s.Create(M.DevMap, 4, 4, 4);
        Handle devOuter = s.Create(M.ArrayOfMaps, 4, 4, 4, inner: devTemplate);
        Handle devLonger = s.Create(M.DevMap, 4, 4, 32);
        s.Update(devOuter, U32(3), Val.FdOf(devLonger), None);
        Handle devHash = s.Create(M.DevMapHash, 4, 4, 4);
        s.Update(devOuter, U32(3), Val.FdOf(devHash), EINVAL);
        Handle dev8 = s.Create(M.DevMap, 4, 8, 4);
        s.Update(devOuter, U32(3), Val.FdOf(dev8), EINVAL);

        // A template opened read-only keeps no fd-only flag either.
        Handle readOnlyTemplate = s.Create(M.Hash, 4, 4, 4, F.RdOnly);
        Handle plainOuter = s.Create(M.HashOfMaps, 4, 4, 4, inner: readOnlyTemplate);
        Handle plain = s.Create(M.Hash, 4, 4, 4);
        s.Update(plainOuter, U32(0), Val.FdOf(plain), None);
        // An outer map cannot go into a slot.
        s.Update(plainOuter, U32(1), Val.FdOf(hashOuter), EINVAL);
        yield return s;

        s = new Scenario("outer.hash_of_maps", "HashOfMaps: the fd before the flags; NoExist/Exist as for hashes; full -> E2BIG; one inner map in many slots; walk as a set");
        t = s.Create(M.Array, 4, 4, 4);                                 // I1
        Handle hom = s.Create(M.HashOfMaps, 4, 4, 2, inner: t);         // I2
        s.Close(t);
        i1 = s.Create(M.Array, 4, 4, 4);                                // I3
        Handle mismatched = s.Create(M.Array, 4, 4, 8);                 // I4
        s.Update(hom, U32(10), Val.Fd(BadFd), U.Exist, EBADF);
        s.Update(hom, U32(10), Val.Fd(BadFd), (U)3, EBADF);
        s.Update(hom, U32(10), Val.FdOf(mismatched), (U)3, EINVAL);
        s.Update(hom, U32(10), Val.FdOf(i1), (U)3, EINVAL);
        s.Update(hom, U32(10), Val.FdOf(i1), U.Lock, EINVAL);
        s.Update(hom, U32(10), Val.FdOf(mismatched), U.Any, EINVAL);
        s.Update(hom, U32(10), Val.FdOf(i1), U.Exist, ENOENT);
        s.Lookup(hom, U32(10), ENOENT);
        s.Update(hom, U32(10), Val.FdOf(i1), U.NoExist, None);
        s.Update(hom, U32(10), Val.FdOf(i1), U.NoExist, EEXIST);
        s.Update(hom, U32(11), Val.FdOf(i1), U.Any, None);
        s.Update(hom, U32(12), Val.FdOf(i1), U.Any, E2BIG);
        s.Update(hom, U32(12), Val.FdOf(i1), U.Exist, ENOENT);
        s.Lookup(hom, U32(11), None, value: "I3");
        s.Lookup(hom, U32(12), ENOENT);
        s.NextKey(hom, U32(12), None, next: "<a key of the map>");
        s.Walk(hom, "0a000000,0b000000");
        s.Dump(hom, "0a000000=I3,0b000000=I3");
        s.Update(hom, U32(11), Val.FdOf(i1), U.Any, None);
        s.Delete(hom, U32(12), ENOENT);
        s.Delete(hom, U32(10), None);
        s.NextKey(hom, U32(11), ENOENT);
        s.Dump(hom, "0b000000=I3");
        yield return s;

        s = new Scenario("outer.hash_of_maps_no_prealloc", "HashOfMaps with NoPrealloc: the same rules; full -> E2BIG, replacing in a full map is fine");
        t = s.Create(M.Hash, 4, 4, 4);
        hom = s.Create(M.HashOfMaps, 16, 4, 1, F.NoPrealloc, inner: t);
        s.Update(hom, Fill(16, 1), Val.FdOf(t), U.Exist, ENOENT);
        s.Update(hom, Fill(16, 1), Val.FdOf(t), U.NoExist, None);
        s.Update(hom, Fill(16, 2), Val.FdOf(t), U.Any, E2BIG);
        s.Update(hom, Fill(16, 1), Val.FdOf(t), U.Any, None);
        s.Update(hom, Fill(16, 1), Val.Fd(BadFd), U.Any, EBADF);
        s.Dump(hom);
        yield return s;

        s = new Scenario("outer.lifetime_array", "Lifetime: a slot keeps its inner map alive after the handle closes (open by ID works); emptying the last slot frees it (ENOENT)");
        t = s.Create(M.Hash, 4, 4, 8);
        aom = s.Create(M.ArrayOfMaps, 4, 4, 4, inner: t);
        s.Close(t);
        i1 = s.Create(M.Hash, 4, 4, 8);
        s.Update(i1, U32(1), U32(111), None);
        s.Update(aom, U32(0), Val.FdOf(i1), None);
        s.Update(aom, U32(1), Val.FdOf(i1), None);
        s.Close(i1);
        s.Lookup(aom, U32(0), None, value: "I3");
        Handle reopened = s.OpenById(i1, None);
        s.Lookup(reopened, U32(1), None, value: "6f000000");
        s.Close(reopened);
        i2 = s.Create(M.Hash, 4, 4, 8);
        s.Update(aom, U32(0), Val.FdOf(i2), None);
        Handle stillThere = s.OpenById(i1, None);
        s.Close(stillThere);
        s.Delete(aom, U32(1), None);
        s.OpenById(i1, ENOENT);
        s.Lookup(aom, U32(0), None, value: "I4");
        s.OpenByRawId(0, ENOENT);
        // Storing a map again in the slot that holds it keeps it alive (one reference for the slot).
        s.Update(aom, U32(0), Val.FdOf(i2), None);
        s.Close(i2);
        Handle again = s.OpenById(i2, None);
        s.Close(again);
        s.Delete(aom, U32(0), None);
        s.OpenById(i2, ENOENT);
        yield return s;

        s = new Scenario("outer.lifetime_hash", "Lifetime: replacing a HashOfMaps slot releases the inner map it held (open by ID -> ENOENT); the new one lives on");
        t = s.Create(M.Hash, 4, 4, 8);
        hom = s.Create(M.HashOfMaps, 8, 4, 4, inner: t);
        s.Close(t);
        i1 = s.Create(M.Hash, 4, 4, 8);
        i2 = s.Create(M.Hash, 4, 4, 16);
        s.Update(hom, U64(7), Val.FdOf(i1), None);
        s.Close(i1);
        s.Update(hom, U64(7), Val.FdOf(i2), U.Exist, None);
        s.OpenById(i1, ENOENT);
        s.Close(i2);
        Handle kept = s.OpenById(i2, None);
        s.Dump(hom, "0700000000000000=I4");
        s.Close(kept);
        yield return s;
    }
}
