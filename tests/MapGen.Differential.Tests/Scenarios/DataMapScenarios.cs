using MapGen.Differential.Tests.Model;
using static MapGen.BpfErrno;
using static MapGen.Differential.Tests.Model.Scenario;
using F = MapGen.BpfMapFlags;
using M = MapGen.BpfMapType;
using U = MapGen.BpfUpdateFlags;

namespace MapGen.Differential.Tests.Scenarios;

/// <summary>Array, PerCpuArray, Hash, PerCpuHash, LruHash and LruPerCpuHash: SPEC section 3, rule by rule.</summary>
public static partial class Catalog
{
    private static readonly byte[] V8A = U64(0x1122334455667788);
    private static readonly byte[] V8B = U64(0x0102030405060708);

    private static IEnumerable<Scenario> ArrayScenarios()
    {
        var s = new Scenario("array.create", "Array/PerCpuArray creation: 4-byte key, a value, entries; value size bounds");
        s.TryCreate(M.Array, 4, 8, 4);
        s.TryCreate(M.Array, 4, 0, 4, expect: EINVAL);
        s.TryCreate(M.Array, 8, 4, 4, expect: EINVAL);
        s.TryCreate(M.Array, 0, 4, 4, expect: EINVAL);
        s.TryCreate(M.Array, 4, 4, 0, expect: EINVAL);
        s.TryCreate(M.Array, 4, 0x8000_0000, 1, expect: E2BIG);
        s.TryCreate(M.PerCpuArray, 4, 8, 4);
        s.TryCreate(M.PerCpuArray, 4, 32768, 1);
        s.TryCreate(M.PerCpuArray, 4, 32769, 1, expect: E2BIG);
        s.TryCreate(M.PerCpuArray, 8, 4, 1, expect: EINVAL);
        s.TryCreate(M.PerCpuArray, 4, 4, 0, expect: EINVAL);
        yield return s;

        s = new Scenario("array.elements", "Array: fresh slots read as zeros; NoExist -> EEXIST; out of range update -> E2BIG, lookup -> ENOENT; delete -> EINVAL");
        Handle a = s.Create(M.Array, 4, 8, 4, name: "arr");
        s.Lookup(a, U32(0), None, value: "0000000000000000");
        s.Update(a, U32(1), V8A, None);
        s.Lookup(a, U32(1), None, value: "8877665544332211");
        s.Update(a, U32(1), V8B, U.NoExist, EEXIST);
        s.Update(a, U32(2), V8B, U.NoExist, EEXIST);
        s.Update(a, U32(2), V8B, U.Exist, None);
        s.Update(a, U32(4), V8B, U.Any, E2BIG);
        s.Update(a, U32(4), V8B, U.NoExist, E2BIG);
        s.Update(a, U32(uint.MaxValue), V8B, U.Exist, E2BIG);
        s.Update(a, U32(0), V8B, (U)3, EINVAL);
        s.Update(a, U32(0), V8B, (U)8, EINVAL);
        s.Update(a, U32(9), V8B, (U)8, EINVAL);
        s.Update(a, U32(0), V8B, U.Lock, EINVAL);
        s.Lookup(a, U32(4), ENOENT);
        s.Lookup(a, U32(uint.MaxValue), ENOENT);
        s.Delete(a, U32(0), EINVAL);
        s.Delete(a, U32(9), EINVAL);
        s.Lookup(a, U32(1), None, value: "8877665544332211");
        s.Walk(a, "00000000,01000000,02000000,03000000");
        s.Dump(a, "00000000=0000000000000000,01000000=8877665544332211,02000000=0807060504030201,03000000=0000000000000000");
        yield return s;

        s = new Scenario("array.get_next_key", "Array: get_next_key counts up from 0, restarts at 0 past the end, ends with ENOENT at the last index");
        a = s.Create(M.Array, 4, 4, 3);
        s.NextKey(a, null, None, next: "00000000");
        s.NextKey(a, U32(0), None, next: "01000000");
        s.NextKey(a, U32(1), None, next: "02000000");
        s.NextKey(a, U32(2), ENOENT);
        s.NextKey(a, U32(3), None, next: "00000000");
        s.NextKey(a, U32(uint.MaxValue), None, next: "00000000");
        yield return s;

        s = new Scenario("array.odd_value_size", "Array: values of any size are stored and read back byte for byte");
        a = s.Create(M.Array, 4, 3, 2);
        s.Update(a, U32(1), new byte[] { 0xaa, 0xbb, 0xcc }, None);
        s.Dump(a, "00000000=000000,01000000=aabbcc");
        Handle big = s.Create(M.Array, 4, 4096, 2);
        s.Update(big, U32(0), Val.Pattern(7), None);
        s.Lookup(big, U32(0), None);
        yield return s;

        s = new Scenario("percpu_array.layout", "PerCpuArray: round_up(value_size, 8) bytes per possible CPU, in CPU order; fresh slots are zeros");
        foreach (uint valueSize in new uint[] { 1, 4, 8, 12, 20 })
        {
            Handle p = s.Create(M.PerCpuArray, 4, valueSize, 2);
            s.Lookup(p, U32(1), None);
            s.Update(p, U32(0), Val.Pattern((byte)valueSize), None);
            s.Lookup(p, U32(0), None);
            s.Dump(p);
        }

        yield return s;

        s = new Scenario("percpu_array.elements", "PerCpuArray: the Array rules (NoExist -> EEXIST, E2BIG, ENOENT, delete EINVAL)");
        a = s.Create(M.PerCpuArray, 4, 4, 2);
        s.Update(a, U32(0), Val.Pattern(1), U.Any, None);
        s.Update(a, U32(1), Val.Pattern(2), U.NoExist, EEXIST);
        s.Update(a, U32(1), Val.Pattern(2), U.Exist, None);
        s.Update(a, U32(2), Val.Pattern(2), U.Any, E2BIG);
        s.Update(a, U32(0), Val.Pattern(2), U.Lock, EINVAL);
        s.Update(a, U32(0), Val.Pattern(2), (U)3, EINVAL);
        s.Lookup(a, U32(2), ENOENT);
        s.Delete(a, U32(0), EINVAL);
        s.NextKey(a, U32(1), ENOENT);
        s.NextKey(a, U32(7), None, next: "00000000");
        s.Walk(a, "00000000,01000000");
        s.Dump(a);
        yield return s;
    }

    private static IEnumerable<Scenario> HashScenarios()
    {
        var btf = new Scenario("create.btf_attributes", "BTF attributes: a key type id needs a value type id (EINVAL first); the type's checks and the name come before the BTF fd (EBADF, or EINVAL for a map fd)");
        Handle notBtf = btf.Create(M.Array, 4, 4, 1);
        btf.TryCreateWithBtf(M.Hash, 4, 4, 4, 1, 0, expect: EINVAL);
        btf.TryCreateWithBtf(M.Hash, 4, 4, 4, 1, 0, btfFd: BadFd, expect: EINVAL);
        btf.TryCreateWithBtf(M.Hash, 4, 0, 4, 1, 2, btfFd: BadFd, expect: EINVAL);
        btf.TryCreateWithBtf(M.Hash, 4, 4, 4, 1, 2, btfFd: BadFd, expect: EBADF);
        btf.TryCreateWithBtf(M.Hash, 4, 4, 4, 0, 2, btfFd: BadFd, expect: EBADF);
        btf.TryCreateWithBtf(M.Hash, 4, 4, 4, 1, 2, btfFd: -1, expect: EBADF);
        btf.TryCreateWithBtf(M.Hash, 4, 4, 4, 1, 2, btfOf: notBtf, expect: EINVAL);
        btf.TryCreateWithBtf(M.Array, 4, 4, 4, 0, 2, btfOf: notBtf, expect: EINVAL);
        btf.TryCreateWithBtf(M.DevMap, 4, 4, 4, 1, 2, btfFd: BadFd, expect: EBADF);
        btf.TryCreateWithBtf(M.Hash, 4, 4, 4, 1, 2, btfFd: BadFd, name: "bad-name", expect: EINVAL);
        btf.TryCreateWithBtf(M.LruHash, 4, 4, 0, 1, 2, btfFd: BadFd, expect: EINVAL);
        // Without type ids the fd is not read.
        btf.TryCreateWithBtf(M.Hash, 4, 4, 4, 0, 0, btfFd: BadFd);
        btf.TryCreateWithBtf(M.Hash, 4, 4, 4, 0, 0, btfOf: notBtf);
        yield return btf;

        var s = new Scenario("hash.create", "Hash/PerCpuHash creation: a key, a value and entries; size limits -> E2BIG");
        s.TryCreate(M.Hash, 4, 8, 2);
        s.TryCreate(M.Hash, 0, 8, 2, expect: EINVAL);
        s.TryCreate(M.Hash, 4, 0, 2, expect: EINVAL);
        s.TryCreate(M.Hash, 4, 8, 0, expect: EINVAL);
        s.TryCreate(M.Hash, 513, 8, 4);
        s.TryCreate(M.Hash, 8, (4u << 20) - 48 - 8, 1, expect: E2BIG);
        s.TryCreate(M.Hash, 4, 4, (1u << 27) + 1, expect: E2BIG);
        s.TryCreate(M.PerCpuHash, 4, 32768, 1);
        s.TryCreate(M.PerCpuHash, 4, 32769, 1, expect: E2BIG);
        s.TryCreate(M.PerCpuHash, 4, 8, 0, expect: EINVAL);
        yield return s;

        foreach (F flags in new[] { F.None, F.NoPrealloc })
        {
            string variant = flags == F.None ? "" : "_no_prealloc";
            s = new Scenario("hash.elements" + variant,
                $"Hash ({flags}): NoExist on existing -> EEXIST, Exist on missing -> ENOENT, new key when full -> E2BIG, replacing is fine");
            Handle h = s.Create(M.Hash, 4, 8, 2, flags);
            s.Update(h, U32(1), V8A, U.Exist, ENOENT);
            s.Update(h, U32(1), V8A, U.NoExist, None);
            s.Update(h, U32(1), V8B, U.NoExist, EEXIST);
            s.Lookup(h, U32(1), None, value: "8877665544332211");
            s.Update(h, U32(1), V8B, U.Any, None);
            s.Update(h, U32(1), V8A, U.Exist, None);
            s.Lookup(h, U32(2), ENOENT);
            s.NextKey(h, null, None, next: "<a key of the map>");
            s.NextKey(h, U32(1), ENOENT);
            s.NextKey(h, U32(7), None, next: "<a key of the map>");
            s.Update(h, U32(2), V8B, U.Any, None);
            s.Update(h, U32(3), V8B, U.Any, E2BIG);
            s.Update(h, U32(3), V8B, U.NoExist, E2BIG);
            s.Update(h, U32(3), V8B, U.Exist, ENOENT);
            s.Update(h, U32(2), V8A, U.Any, None);
            s.Update(h, U32(1), V8A, U.NoExist, EEXIST);
            s.Update(h, U32(1), V8A, (U)3, EINVAL);
            s.Update(h, U32(3), V8A, (U)8, EINVAL);
            s.Update(h, U32(1), V8A, U.Lock, EINVAL);
            s.Delete(h, U32(3), ENOENT);
            s.Delete(h, U32(1), None);
            s.Delete(h, U32(1), ENOENT);
            s.Lookup(h, U32(1), ENOENT);
            s.Walk(h, "02000000");
            s.Update(h, U32(3), V8B, U.NoExist, None);
            s.Dump(h, "02000000=8877665544332211,03000000=0807060504030201");
            yield return s;
        }

        s = new Scenario("hash.walk_as_set", "Hash: a get_next_key walk visits every key once (compared as a set); a missing key restarts at the first");
        Handle w = s.Create(M.Hash, 8, 4, 64);
        for (uint i = 0; i < 20; i++)
        {
            s.Update(w, U64(0x1000_0000_0000UL * i + i), U32(i), None);
        }

        s.Walk(w);
        s.Dump(w);
        s.NextKey(w, U64(0xdead), None, next: "<a key of the map>");
        s.NextKey(w, null, None, next: "<a key of the map>");
        for (uint i = 0; i < 20; i += 3)
        {
            s.Delete(w, U64(0x1000_0000_0000UL * i + i), None);
        }

        s.Walk(w);
        yield return s;

        s = new Scenario("hash.key_sizes", "Hash: keys of any size are compared whole");
        Handle k3 = s.Create(M.Hash, 3, 4, 4);
        s.Update(k3, new byte[] { 1, 2, 3 }, U32(1), None);
        s.Update(k3, new byte[] { 1, 2, 4 }, U32(2), None);
        s.Lookup(k3, new byte[] { 1, 2, 3 }, None, value: "01000000");
        s.Lookup(k3, new byte[] { 1, 2, 5 }, ENOENT);
        s.Dump(k3, "010203=01000000,010204=02000000");
        Handle k64 = s.Create(M.Hash, 64, 4, 4, F.NoPrealloc);
        s.Update(k64, Fill(64, 1), U32(1), None);
        s.Update(k64, Fill(64, 2), U32(2), U.NoExist, None);
        s.Lookup(k64, Fill(64, 2), None, value: "02000000");
        s.Walk(k64);
        yield return s;

        s = new Scenario("percpu_hash.elements", "PerCpuHash: per-CPU values (round_up(size, 8) per possible CPU) under the Hash rules");
        Handle ph = s.Create(M.PerCpuHash, 4, 4, 2);
        s.Update(ph, U32(1), Val.Pattern(1), U.Exist, ENOENT);
        s.Update(ph, U32(1), Val.Pattern(1), U.NoExist, None);
        s.Lookup(ph, U32(1), None);
        s.Update(ph, U32(1), Val.Pattern(2), U.NoExist, EEXIST);
        s.Update(ph, U32(1), Val.Pattern(3), U.Exist, None);
        s.Lookup(ph, U32(1), None);
        s.Update(ph, U32(2), Val.Pattern(4), U.Any, None);
        s.Update(ph, U32(3), Val.Pattern(5), U.Any, E2BIG);
        s.Update(ph, U32(2), Val.Pattern(6), U.Any, None);
        s.Update(ph, U32(2), Val.Pattern(6), U.Lock, EINVAL);
        s.Delete(ph, U32(3), ENOENT);
        s.Delete(ph, U32(1), None);
        s.Dump(ph);
        Handle ph12 = s.Create(M.PerCpuHash, 4, 12, 4, F.NoPrealloc);
        s.Update(ph12, U32(9), Val.Pattern(9), None);
        s.Lookup(ph12, U32(9), None);
        s.Update(ph12, U32(9), Val.Pattern(10), None);
        s.Dump(ph12);
        yield return s;
    }

    private static IEnumerable<Scenario> LruScenarios()
    {
        var s = new Scenario("lru_hash.flags", "LruHash: NoExist on existing -> EEXIST, Exist on missing -> ENOENT while not full; delete; walk");
        Handle h = s.Create(M.LruHash, 4, 8, 16);
        s.Walk(h, "-");
        s.Update(h, U32(1), V8A, U.NoExist, None);
        s.Update(h, U32(1), V8B, U.NoExist, EEXIST);
        s.Update(h, U32(2), V8B, U.Exist, ENOENT);
        s.Update(h, U32(1), V8B, U.Exist, None);
        s.Lookup(h, U32(1), None, value: "0807060504030201");
        s.Update(h, U32(1), V8B, (U)3, EINVAL);
        s.Update(h, U32(1), V8B, U.Lock, EINVAL);
        s.Delete(h, U32(1), None);
        s.Delete(h, U32(1), ENOENT);
        s.Lookup(h, U32(1), ENOENT);
        s.Update(h, U32(5), V8A, None);
        s.NextKey(h, U32(5), ENOENT);
        s.NextKey(h, U32(6), None, next: "<a key of the map>");
        s.Dump(h, "05000000=8877665544332211");
        yield return s;

        s = new Scenario("lru_hash.evicts", "LruHash: a full map evicts instead of failing (invariants: <= max entries, newest key present, no E2BIG)");
        h = s.Create(M.LruHash, 4, 8, 16);
        s.LruFill(h, 1, 100);
        s.LruFill(h, 1000, 16);
        s.Lookup(h, U32(1015), None);
        s.Update(h, U32(5000), V8A, U.Exist, ENOENT);
        s.Delete(h, U32(5000), ENOENT);
        Handle big = s.Create(M.LruHash, 4, 4, 1000);
        s.LruFill(big, 0, 3000);
        yield return s;

        s = new Scenario("lru_hash.per_cpu_lists", "LruHash with NoCommonLru: max entries rounded up to a multiple of the possible CPUs; evicts");
        h = s.Create(M.LruHash, 4, 8, 5, F.NoCommonLru);
        s.LruFill(h, 1, 50);
        Handle h64 = s.Create(M.LruHash, 4, 8, 64, F.NoCommonLru);
        s.LruFill(h64, 1, 500);
        yield return s;

        s = new Scenario("lru_percpu_hash.elements", "LruPerCpuHash: per-CPU values, the LRU flag rules, eviction by invariants");
        Handle p = s.Create(M.LruPerCpuHash, 4, 12, 8);
        s.Update(p, U32(1), Val.Pattern(1), U.NoExist, None);
        s.Lookup(p, U32(1), None);
        s.Update(p, U32(1), Val.Pattern(2), U.NoExist, EEXIST);
        s.Update(p, U32(2), Val.Pattern(2), U.Exist, ENOENT);
        s.Update(p, U32(1), Val.Pattern(3), U.Exist, None);
        s.Lookup(p, U32(1), None);
        s.Update(p, U32(1), Val.Pattern(3), U.Lock, EINVAL);
        s.Delete(p, U32(1), None);
        s.Delete(p, U32(1), ENOENT);
        s.LruFill(p, 10, 40);
        Handle pc = s.Create(M.LruPerCpuHash, 4, 4, 7, F.NoCommonLru);
        s.LruFill(pc, 1, 40);
        yield return s;

        s = new Scenario("lru_hash.small_per_cpu_lists", "NoCommonLru gives each possible CPU at least one node: max entries rounded up to the CPUs; still evicts");
        Handle one = s.Create(M.LruHash, 4, 4, 1, F.NoCommonLru);
        s.LruFill(one, 1, 20);
        Handle three = s.Create(M.LruPerCpuHash, 4, 4, 3, F.NoCommonLru);
        s.LruFill(three, 1, 20);
        Handle duplicate = s.OpenById(three, None);
        s.Close(duplicate);
        yield return s;

        s = new Scenario("lru.create", "LRU creation: always preallocated (NoPrealloc -> ENOTSUPP); a per-CPU LRU list or per-CPU values take no NUMA node");
        s.TryCreate(M.LruHash, 4, 8, 16, F.NoPrealloc, expect: ENOTSUPP);
        s.TryCreate(M.LruPerCpuHash, 4, 8, 16, F.NoPrealloc, expect: ENOTSUPP);
        s.TryCreate(M.LruHash, 4, 8, 16, F.NoCommonLru | F.NumaNode, expect: EINVAL);
        s.TryCreate(M.LruHash, 4, 8, 16, F.NumaNode);
        s.TryCreate(M.LruPerCpuHash, 4, 8, 16, F.NumaNode, expect: EINVAL);
        s.TryCreate(M.LruHash, 4, 8, 0, expect: EINVAL);
        s.TryCreate(M.LruHash, 4, 8, uint.MaxValue, expect: E2BIG);
        s.TryCreate(M.LruPerCpuHash, 4, 32769, 1, expect: E2BIG);
        s.TryCreate(M.LruHash, 4, 8, 3, F.NoCommonLru);
        yield return s;
    }
}
