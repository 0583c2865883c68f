using MapGen.Differential.Tests.Model;
using static MapGen.BpfErrno;
using static MapGen.Differential.Tests.Model.Scenario;
using F = MapGen.BpfMapFlags;
using M = MapGen.BpfMapType;
using U = MapGen.BpfUpdateFlags;

namespace MapGen.Differential.Tests.Scenarios;

/// <summary>
/// Where the kernel's iteration order is deterministic (hashes with ZeroSeed, DevMapHash), the
/// emulated runtime reproduces it exactly: the buckets (jhash, or the ifindex key), new and
/// replaced elements at the head of their bucket, per-CPU and outer hashes updated in place.
/// </summary>
public static partial class Catalog
{
    private static IEnumerable<Scenario> OrderScenarios()
    {
        foreach ((M type, F flags) in new[]
        {
            (M.Hash, F.ZeroSeed), (M.Hash, F.ZeroSeed | F.NoPrealloc), (M.PerCpuHash, F.ZeroSeed), (M.PerCpuHash, F.ZeroSeed | F.NoPrealloc),
        })
        {
            string variant = (flags & F.NoPrealloc) != 0 ? "no_prealloc" : "prealloc";
            string replaced = type == M.Hash ? ", a replaced element moves to the head" : ", updated in place";
            var s = new Scenario($"order.{type}_{variant}",
                $"{type} ({flags}): get_next_key order is the kernel's (bucket by jhash seed 0, newest first in a bucket{replaced})");
            Handle h = s.Create(type, 4, 8, 8, flags);
            for (uint i = 0; i < 8; i++)
            {
                s.Update(h, U32(i * 3), Val.Pattern((byte)i), None);
            }

            s.WalkInKernelOrder(h);
            s.Update(h, U32(6), Val.Pattern(20), U.Exist, None);
            s.Update(h, U32(0), Val.Pattern(21), U.Any, None);
            s.WalkInKernelOrder(h);
            s.Delete(h, U32(9), None);
            s.Delete(h, U32(15), None);
            s.Update(h, U32(15), Val.Pattern(22), U.NoExist, None);
            s.Update(h, U32(100), Val.Pattern(23), U.NoExist, None);
            s.WalkInKernelOrder(h);
            s.NextKey(h, U32(9), None, next: "<a key of the map>");
            Handle wide = s.Create(type, 12, 4, 64, flags);
            for (byte i = 0; i < 40; i++)
            {
                s.Update(wide, Fill(12, i), Val.Pattern(i), None);
            }

            s.WalkInKernelOrder(wide);
            yield return s;
        }

        var k = new Scenario("order.key_sizes", "Hash (ZeroSeed) with keys of every length class: jhash2 for multiples of 4 bytes, jhash's tail for the others; kernel order");
        foreach (uint keySize in new uint[] { 1, 2, 3, 5, 6, 7, 8, 11, 13, 16, 24, 33, 100 })
        {
            Handle h = k.Create(M.Hash, keySize, 4, 16, F.ZeroSeed);
            for (byte i = 0; i < 12; i++)
            {
                k.Update(h, Fill((int)keySize, (byte)(i * 17)), U32(i), None);
            }

            k.WalkInKernelOrder(h);
        }

        yield return k;

        var l = new Scenario("order.lru_before_eviction", "LRU hashes (ZeroSeed) before anything is evicted: kernel order; an LRU hash links a replaced element at the head, a per-CPU one updates it in place");
        foreach (M type in new[] { M.LruHash, M.LruPerCpuHash })
        {
            Handle h = l.Create(type, 4, 4, 32, F.ZeroSeed);
            for (uint i = 0; i < 10; i++)
            {
                l.Update(h, U32(i * 5), Val.Pattern((byte)i), None);
            }

            l.WalkInKernelOrder(h);
            l.Update(h, U32(10), Val.Pattern(40), U.Exist, None);
            l.Update(h, U32(0), Val.Pattern(41), U.Any, None);
            l.WalkInKernelOrder(h);
            l.Delete(h, U32(20), None);
            l.WalkInKernelOrder(h);
            l.Dump(h);
        }

        yield return l;

        var d = new Scenario("order.devmap_hash", "DevMapHash: buckets indexed by the key itself, newest first; a replaced entry moves to the head");
        Handle dh = d.Create(M.DevMapHash, 4, 4, 8);
        foreach (uint key in new uint[] { 3, 11, 19, 4, 12, 0, 8, 27 })
        {
            d.Update(dh, U32(key), U32(1), None);
        }

        // Eight buckets (key & 7): bucket 0 holds 8, 0; bucket 3 holds 27, 19, 11, 3; bucket 4 holds 12, 4.
        d.WalkInKernelOrder(dh, "08000000,00000000,1b000000,13000000,0b000000,03000000,0c000000,04000000");
        d.Update(dh, U32(11), U32(1), U.Any, None);
        d.WalkInKernelOrder(dh, "08000000,00000000,0b000000,1b000000,13000000,03000000,0c000000,04000000");
        d.Delete(dh, U32(19), None);
        d.WalkInKernelOrder(dh, "08000000,00000000,0b000000,1b000000,03000000,0c000000,04000000");
        yield return d;

        var o = new Scenario("order.hash_of_maps", "HashOfMaps (ZeroSeed): kernel order; replacing a slot's inner map keeps its place in the bucket (in-place update)");
        Handle t = o.Create(M.Hash, 4, 4, 4);
        Handle hom = o.Create(M.HashOfMaps, 4, 4, 4, F.ZeroSeed, inner: t);
        Handle i1 = o.Create(M.Hash, 4, 4, 4);
        o.UpdateBatch(hom, [U32(1), U32(2), U32(3), U32(4)], [Val.FdOf(t), Val.FdOf(t), Val.FdOf(t), Val.FdOf(t)], U.Any, None, written: 4);
        o.WalkInKernelOrder(hom);
        o.Update(hom, U32(2), Val.FdOf(i1), U.Exist, None);
        o.WalkInKernelOrder(hom);
        o.Dump(hom, "01000000=I1,02000000=I3,03000000=I1,04000000=I1");
        yield return o;

    }
}
