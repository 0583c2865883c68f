using MapGen.Differential.Tests.Model;
using static MapGen.BpfErrno;
using static MapGen.Differential.Tests.Model.Scenario;
using F = MapGen.BpfMapFlags;
using M = MapGen.BpfMapType;
using U = MapGen.BpfUpdateFlags;

namespace MapGen.Differential.Tests.Scenarios;

/// <summary>
/// What the typed API builds on beyond single elements: batched updates (<c>UpdateBatch</c>, the
/// way to fill an outer map) and the runtime's enumeration of keys and entries (batched reads on
/// the native backend, the <c>get_next_key</c> walk on the emulated one), which must agree.
/// </summary>
public static partial class Catalog
{
    private static IEnumerable<Scenario> BatchScenarios()
    {
        var s = new Scenario("batch.data_maps", "UpdateBatch: elements in order, stopping at the first failure with the count written; only BPF_ANY (elem_flags take BPF_F_LOCK alone)");
        Handle h = s.Create(M.Hash, 4, 8, 3);
        s.UpdateBatch(h, [], [], U.Any, None, written: 0);
        s.UpdateBatch(h, [U32(1), U32(2)], [V8A, V8B], U.Any, None, written: 2);
        s.UpdateBatch(h, [U32(2), U32(3), U32(4), U32(5)], [V8A, V8A, V8A, V8A], U.Any, E2BIG, written: 2);
        s.UpdateBatch(h, [U32(6)], [V8A], U.Lock, EINVAL, written: 0);
        s.Dump(h, "01000000=8877665544332211,02000000=8877665544332211,03000000=8877665544332211");
        Handle a = s.Create(M.Array, 4, 4, 2);
        s.UpdateBatch(a, [U32(0), U32(1), U32(2)], [U32(7), U32(8), U32(9)], U.Any, E2BIG, written: 2);
        s.Dump(a, "00000000=07000000,01000000=08000000");
        Handle p = s.Create(M.PerCpuHash, 4, 4, 4);
        s.UpdateBatch(p, [U32(1), U32(2)], [Val.Pattern(1), Val.Pattern(2)], U.Any, None, written: 2);
        s.Dump(p);
        Handle d = s.Create(M.DevMap, 4, 4, 4);
        s.UpdateBatch(d, [U32(0), U32(1), U32(2)], [U32(1), U32(NoSuchIfindex), U32(1)], U.Any, EINVAL, written: 1);
        s.Dump(d, "00000000=01000000,01000000=!ENOENT,02000000=!ENOENT,03000000=!ENOENT");
        Handle lru = s.Create(M.LruHash, 4, 4, 8);
        s.UpdateBatch(lru, [U32(1), U32(2)], [U32(1), U32(2)], U.Any, None, written: 2);
        s.Dump(lru, "01000000=01000000,02000000=02000000");
        yield return s;

        s = new Scenario("batch.outer_maps", "UpdateBatch into outer maps: fds in, one RCU wait; the first refused element (bad fd, wrong inner, E2BIG) stops the batch");
        Handle t = s.Create(M.Hash, 4, 4, 4);                                   // I1
        Handle aom = s.Create(M.ArrayOfMaps, 4, 4, 3, inner: t);                // I2
        Handle hom = s.Create(M.HashOfMaps, 4, 4, 2, inner: t);                 // I3
        Handle i1 = s.Create(M.Hash, 4, 4, 4);                                  // I4
        Handle i2 = s.Create(M.Hash, 4, 4, 64);                                 // I5
        Handle wrong = s.Create(M.Array, 4, 4, 4);                              // I6
        s.UpdateBatch(aom, [U32(0), U32(1)], [Val.FdOf(i1), Val.FdOf(i2)], U.Any, None, written: 2);
        s.UpdateBatch(aom, [U32(2), U32(3)], [Val.FdOf(i1), Val.FdOf(i1)], U.Any, E2BIG, written: 1);
        s.UpdateBatch(aom, [U32(0), U32(1)], [Val.FdOf(i2), Val.FdOf(wrong)], U.Any, EINVAL, written: 1);
        s.UpdateBatch(aom, [U32(1)], [Val.Fd(BadFd)], U.Any, EBADF, written: 0);
        s.Dump(aom, "00000000=I5,01000000=I5,02000000=I4");
        s.UpdateBatch(hom, [U32(10), U32(11), U32(12)], [Val.FdOf(i1), Val.FdOf(i1), Val.FdOf(i2)], U.Any, E2BIG, written: 2);
        s.UpdateBatch(hom, [U32(12)], [Val.FdOf(i2)], U.NoExist, EINVAL, written: 0);
        s.Dump(hom, "0a000000=I4,0b000000=I4");
        yield return s;

        s = new Scenario("batch.lookup_and_delete", "LOOKUP_AND_DELETE_ELEM: hash maps only (ENOTSUPP elsewhere), the value out and the element gone; the fd must read and write (EPERM)");
        h = s.Create(M.Hash, 4, 8, 8);
        s.Update(h, U32(1), V8A, None);
        s.Update(h, U32(2), V8B, None);
        s.LookupAndDelete(h, U32(2), None, "0807060504030201");
        s.LookupAndDelete(h, U32(2), ENOENT);
        s.Dump(h, "01000000=8877665544332211");
        p = s.Create(M.PerCpuHash, 4, 4, 4);
        s.Update(p, U32(1), Val.Pattern(3), None);
        s.LookupAndDelete(p, U32(1), None);
        s.Walk(p, "-");
        lru = s.Create(M.LruHash, 4, 4, 8);
        s.Update(lru, U32(5), U32(50), None);
        s.LookupAndDelete(lru, U32(5), None, "32000000");
        s.LookupAndDelete(lru, U32(5), ENOENT);
        a = s.Create(M.Array, 4, 4, 4);
        s.LookupAndDelete(a, U32(0), ENOTSUPP);
        d = s.Create(M.DevMap, 4, 4, 4);
        s.LookupAndDelete(d, U32(0), ENOTSUPP);
        Handle readOnly = s.Create(M.Hash, 4, 4, 4, flags: F.RdOnly);
        s.LookupAndDelete(readOnly, U32(1), EPERM);
        Handle writeOnly = s.Create(M.Hash, 4, 4, 4, flags: F.WrOnly);
        s.LookupAndDelete(writeOnly, U32(1), EPERM);
        yield return s;

        s = new Scenario("batch.delete", "DeleteBatch: keys in order, stopping at the first key the kernel cannot delete (absent: ENOENT) with the count deleted; arrays refuse (EINVAL), device maps delete empty slots");
        h = s.Create(M.Hash, 4, 8, 8);
        s.UpdateBatch(h, [U32(1), U32(2), U32(3), U32(4)], [V8A, V8B, V8A, V8B], U.Any, None, written: 4);
        s.DeleteBatch(h, [], None, deleted: 0);
        s.DeleteBatch(h, [U32(1), U32(9), U32(3)], ENOENT, deleted: 1);
        s.DeleteBatch(h, [U32(3), U32(4)], None, deleted: 2);
        s.Dump(h, "02000000=0807060504030201");
        a = s.Create(M.Array, 4, 4, 4);
        s.DeleteBatch(a, [U32(0)], EINVAL, deleted: 0);
        d = s.Create(M.DevMap, 4, 4, 4);
        s.Update(d, U32(1), U32(1), None);
        s.DeleteBatch(d, [U32(0), U32(1), U32(4), U32(2)], EINVAL, deleted: 2);
        s.Walk(d, "00000000,01000000,02000000,03000000");
        Handle devHash = s.Create(M.DevMapHash, 4, 4, 4);
        s.Update(devHash, U32(7), U32(1), None);
        s.DeleteBatch(devHash, [U32(7), U32(8)], ENOENT, deleted: 1);
        p = s.Create(M.PerCpuHash, 4, 4, 4);
        s.Update(p, U32(1), Val.Pattern(1), None);
        s.DeleteBatch(p, [U32(1)], None, deleted: 1);
        readOnly = s.Create(M.Hash, 4, 4, 4, flags: F.RdOnly);
        s.DeleteBatch(readOnly, [U32(1)], EPERM, deleted: 0);
        yield return s;

        s = new Scenario("batch.drain", "Drain: every element taken (native: LOOKUP_AND_DELETE_BATCH; the emulated runtime key by key), the map empty after; types without lookup-and-delete refuse (ENOTSUPP); the fd must read and write (EPERM)");
        h = s.Create(M.Hash, 4, 8, 64);
        s.Drain(h, None, "-");
        s.UpdateBatch(h, [U32(1), U32(2), U32(3)], [V8A, V8B, V8A], U.Any, None, written: 3);
        s.Drain(h, None, "01000000=8877665544332211,02000000=0807060504030201,03000000=8877665544332211");
        s.Walk(h, "-");
        s.Drain(h, None, "-");
        p = s.Create(M.LruPerCpuHash, 4, 8, 16);
        s.UpdateBatch(p, [U32(1), U32(2)], [Val.Pattern(1), Val.Pattern(2)], U.Any, None, written: 2);
        s.Drain(p, None);
        s.Walk(p, "-");
        lru = s.Create(M.LruHash, 4, 4, 16);
        s.UpdateBatch(lru, [U32(1), U32(2)], [U32(10), U32(20)], U.Any, None, written: 2);
        s.Drain(lru, None, "01000000=0a000000,02000000=14000000");
        a = s.Create(M.Array, 4, 4, 2);
        s.Drain(a, ENOTSUPP, "-");
        readOnly = s.Create(M.Hash, 4, 4, 4, flags: F.RdOnly);
        s.Drain(readOnly, EPERM, "-");
        yield return s;

        s = new Scenario("mmap.array_views", "A shared, writable mapping of a BPF_F_MMAPABLE array: values round_up(value_size, 8) apart, the same bytes as lookups and updates; not mappable: other types (ENOTSUPP), arrays without the flag (EINVAL), RdOnlyProg or a read-only fd (EACCES)");
        Handle m = s.Create(M.Array, 4, 8, 4, F.Mmapable);
        s.ViewRead(m, 3, None, "0000000000000000");
        s.ViewWrite(m, 1, V8A, None);
        s.Lookup(m, U32(1), None, "8877665544332211");
        s.Update(m, U32(2), V8B, None);
        s.ViewRead(m, 2, None, "0807060504030201");
        Handle odd = s.Create(M.Array, 4, 12, 3, F.Mmapable);
        s.ViewWrite(odd, 1, Fill(12, 5), None);
        s.ViewWrite(odd, 2, Fill(12, 6), None);
        s.Dump(odd);
        s.Update(odd, U32(0), Fill(12, 7), None);
        s.ViewRead(odd, 0, None);
        Handle again = s.OpenById(m, None);
        s.ViewRead(again, 1, None, "8877665544332211");
        Handle plain = s.Create(M.Array, 4, 8, 4);
        s.ViewRead(plain, 0, EINVAL);
        Handle readOnlyProg = s.Create(M.Array, 4, 8, 4, F.Mmapable | F.RdOnlyProg);
        s.ViewRead(readOnlyProg, 0, EACCES);
        Handle readOnlyFd = s.Create(M.Array, 4, 8, 4, F.Mmapable | F.RdOnly);
        s.ViewRead(readOnlyFd, 0, EACCES);
        Handle writeOnlyFd = s.Create(M.Array, 4, 8, 4, F.Mmapable | F.WrOnly);
        s.ViewRead(writeOnlyFd, 0, EACCES);
        Handle perCpu = s.Create(M.PerCpuArray, 4, 8, 4);
        s.ViewRead(perCpu, 0, ENOTSUPP);
        Handle hash = s.Create(M.Hash, 4, 8, 4);
        s.ViewRead(hash, 0, ENOTSUPP);
        yield return s;

        s = new Scenario("enumerate.data_maps", "Keys and entries as the runtime enumerates them (native: batched reads) equal the get_next_key walk");
        h = s.Create(M.Hash, 4, 8, 64);
        s.EnumerateKeys(h, "-");
        s.Enumerate(h, "-");
        for (uint i = 1; i <= 20; i++)
        {
            s.Update(h, U32(i * 7), U64(i), None);
        }

        s.EnumerateKeys(h);
        s.Enumerate(h);
        s.Dump(h);
        a = s.Create(M.Array, 4, 4, 5);
        s.Update(a, U32(3), U32(3), None);
        s.EnumerateKeys(a, "00000000,01000000,02000000,03000000,04000000");
        s.Enumerate(a, "00000000=00000000,01000000=00000000,02000000=00000000,03000000=03000000,04000000=00000000");
        p = s.Create(M.PerCpuArray, 4, 12, 3);
        s.Update(p, U32(1), Val.Pattern(3), None);
        s.Enumerate(p);
        Handle ph = s.Create(M.PerCpuHash, 4, 4, 8);
        s.Update(ph, U32(5), Val.Pattern(5), None);
        s.Update(ph, U32(6), Val.Pattern(6), None);
        s.Enumerate(ph);
        lru = s.Create(M.LruHash, 4, 4, 8);
        s.Update(lru, U32(1), U32(1), None);
        s.Update(lru, U32(2), U32(2), None);
        s.Enumerate(lru, "01000000=01000000,02000000=02000000");
        Handle lruPerCpu = s.Create(M.LruPerCpuHash, 4, 4, 8);
        s.Update(lruPerCpu, U32(9), Val.Pattern(9), None);
        s.Enumerate(lruPerCpu);
        d = s.Create(M.DevMap, 4, 4, 3);
        s.Update(d, U32(1), U32(1), None);
        s.EnumerateKeys(d);
        s.Enumerate(d, "01000000=01000000");
        Handle dh = s.Create(M.DevMapHash, 4, 8, 3);
        s.Update(dh, U32(42), Cat(U32(1), I32(0)), None);
        s.EnumerateKeys(dh, "2a000000");
        s.Enumerate(dh, "2a000000=0100000000000000");
        Handle big = s.Create(M.Hash, 8, 16, 5000, F.NoPrealloc);
        for (uint i = 0; i < 300; i++)
        {
            s.Update(big, U64(i * 0x9E3779B97F4A7C15UL), Fill(16, (byte)i), None);
        }

        s.EnumerateKeys(big);
        s.Enumerate(big);
        yield return s;

        s = new Scenario("enumerate.outer_maps", "Keys and entries of outer maps (inner map IDs) as the runtime enumerates them, with empty slots");
        t = s.Create(M.Array, 4, 4, 1);                                         // I1
        aom = s.Create(M.ArrayOfMaps, 4, 4, 4, inner: t);                       // I2
        hom = s.Create(M.HashOfMaps, 8, 4, 4, inner: t);                        // I3
        i1 = s.Create(M.Array, 4, 4, 1);                                        // I4
        s.EnumerateKeys(aom, "-");
        s.Enumerate(aom, "-");
        s.EnumerateKeys(hom, "-");
        s.Enumerate(hom, "-");
        s.UpdateBatch(aom, [U32(1), U32(3)], [Val.FdOf(i1), Val.FdOf(i1)], U.Any, None, written: 2);
        s.UpdateBatch(hom, [U64(1), U64(2)], [Val.FdOf(i1), Val.FdOf(t)], U.Any, None, written: 2);
        s.EnumerateKeys(aom, "01000000,03000000");
        s.Enumerate(aom, "01000000=I4,03000000=I4");
        s.Walk(aom, "00000000,01000000,02000000,03000000");
        s.EnumerateKeys(hom, "0100000000000000,0200000000000000");
        s.Enumerate(hom, "0100000000000000=I4,0200000000000000=I1");
        yield return s;
    }
}
