using MapGen.Differential.Tests.Model;
using static MapGen.BpfErrno;
using static MapGen.Differential.Tests.Model.Scenario;
using F = MapGen.BpfMapFlags;
using M = MapGen.BpfMapType;
using U = MapGen.BpfUpdateFlags;

namespace MapGen.Differential.Tests.Scenarios;

/// <summary>DevMap, DevMapHash (ifindex 1 = lo exists on every machine) and ProgArray.</summary>
public static partial class Catalog
{
    /// <summary>An ifindex no interface has.</summary>
    private const uint NoSuchIfindex = 999_999;

    /// <summary>An fd number no process has open (above any RLIMIT_NOFILE in use).</summary>
    private const int BadFd = 1_000_000;

    private static IEnumerable<Scenario> DevMapScenarios()
    {
        var s = new Scenario("devmap.create", "DevMap/DevMapHash creation: 4-byte key, 4- or 8-byte value, entries; the kernel adds RdOnlyProg");
        s.Create(M.DevMap, 4, 4, 4);
        s.Create(M.DevMap, 4, 8, 4, F.WrOnly);
        s.Create(M.DevMapHash, 4, 4, 4, F.NumaNode);
        s.TryCreate(M.DevMap, 4, 12, 4, expect: EINVAL);
        s.TryCreate(M.DevMap, 8, 4, 4, expect: EINVAL);
        s.TryCreate(M.DevMap, 4, 4, 0, expect: EINVAL);
        s.TryCreate(M.DevMapHash, 8, 4, 4, expect: EINVAL);
        s.TryCreate(M.DevMapHash, 4, 2, 4, expect: EINVAL);
        s.TryCreate(M.DevMapHash, 4, 4, 0, expect: EINVAL);
        s.TryCreate(M.DevMapHash, 4, 4, (1u << 31) + 1, expect: EINVAL);
        s.TryCreate(M.DevMapHash, 4, 4, uint.MaxValue, expect: EINVAL);
        s.TryCreate(M.DevMap, 4, 4, 4, F.RdOnlyProg, expect: EINVAL);
        yield return s;

        s = new Scenario("devmap.elements", "DevMap: ifindex 0 clears; unknown ifindex -> EINVAL; NoExist -> EEXIST even on an empty slot; deleting an empty slot succeeds");
        Handle d = s.Create(M.DevMap, 4, 4, 4);
        s.Lookup(d, U32(0), ENOENT);
        s.Update(d, U32(0), U32(1), U.Any, None);
        s.Lookup(d, U32(0), None, value: "01000000");
        s.Update(d, U32(1), U32(1), U.NoExist, EEXIST);
        s.Update(d, U32(1), U32(1), U.Exist, None);
        s.Update(d, U32(2), U32(NoSuchIfindex), U.Any, EINVAL);
        s.Update(d, U32(4), U32(1), U.Any, E2BIG);
        s.Update(d, U32(4), U32(1), U.NoExist, E2BIG);
        s.Update(d, U32(4), U32(NoSuchIfindex), U.Any, E2BIG);
        s.Update(d, U32(0), U32(1), (U)3, EINVAL);
        s.Update(d, U32(0), U32(1), U.Lock, EINVAL);
        s.Update(d, U32(1), U32(0), U.Any, None);
        s.Lookup(d, U32(1), ENOENT);
        s.Delete(d, U32(2), None);
        s.Delete(d, U32(0), None);
        s.Lookup(d, U32(0), ENOENT);
        s.Delete(d, U32(4), EINVAL);
        s.Lookup(d, U32(4), ENOENT);
        s.Update(d, U32(3), U32(1), None);
        s.NextKey(d, null, None, next: "00000000");
        s.NextKey(d, U32(3), ENOENT);
        s.NextKey(d, U32(9), None, next: "00000000");
        s.Walk(d, "00000000,01000000,02000000,03000000");
        s.Dump(d, "00000000=!ENOENT,01000000=!ENOENT,02000000=!ENOENT,03000000=01000000");
        yield return s;

        s = new Scenario("devmap.value8", "DevMap with struct bpf_devmap_val: a program fd above 0 must be an XDP program (EINVAL otherwise), not with ifindex 0");
        d = s.Create(M.DevMap, 4, 8, 2);
        Handle notProgram = s.Create(M.Array, 4, 4, 1);
        s.Update(d, U32(0), Cat(U32(1), I32(0)), None);
        s.Lookup(d, U32(0), None, value: "0100000000000000");
        s.Update(d, U32(1), Cat(U32(1), I32(-1)), None);
        s.Lookup(d, U32(1), None, value: "0100000000000000");
        s.Update(d, U32(1), Cat(U32(1), I32(BadFd)), EINVAL);
        s.Update(d, U32(0), Cat(U32(0), I32(BadFd)), EINVAL);
        s.Update(d, U32(0), Cat(U32(0), I32(0)), None);
        s.Lookup(d, U32(0), ENOENT);
        s.Update(d, U32(1), Cat(U32(NoSuchIfindex), I32(0)), EINVAL);
        s.Lookup(d, U32(1), None, value: "0100000000000000");
        s.Close(notProgram);
        yield return s;

        s = new Scenario("devmap_hash.elements", "DevMapHash: Exist is not enforced; NoExist on existing -> EEXIST; unknown ifindex -> EINVAL; full -> E2BIG");
        Handle dh = s.Create(M.DevMapHash, 4, 4, 2);
        s.Update(dh, U32(100), U32(1), U.Exist, None);
        s.Update(dh, U32(100), U32(1), U.NoExist, EEXIST);
        s.Update(dh, U32(200), U32(NoSuchIfindex), U.Any, EINVAL);
        s.Update(dh, U32(200), U32(0), U.Any, EINVAL);
        s.Update(dh, U32(200), U32(1), U.NoExist, None);
        s.Update(dh, U32(300), U32(1), U.Any, E2BIG);
        s.Update(dh, U32(300), U32(1), U.Exist, E2BIG);
        s.Update(dh, U32(100), U32(1), U.Any, None);
        s.Update(dh, U32(100), U32(1), (U)3, EINVAL);
        s.Update(dh, U32(100), U32(1), U.Lock, EINVAL);
        s.Lookup(dh, U32(100), None, value: "01000000");
        s.Lookup(dh, U32(300), ENOENT);
        s.Delete(dh, U32(300), ENOENT);
        s.NextKey(dh, U32(300), None, next: "<a key of the map>");
        s.Walk(dh, "64000000,c8000000");
        s.Delete(dh, U32(100), None);
        s.NextKey(dh, U32(200), ENOENT);
        s.Dump(dh, "c8000000=01000000");
        Handle dh8 = s.Create(M.DevMapHash, 4, 8, 4);
        s.Update(dh8, U32(7), Cat(U32(1), I32(0)), None);
        s.Lookup(dh8, U32(7), None, value: "0100000000000000");
        s.Update(dh8, U32(8), Cat(U32(1), I32(BadFd)), EINVAL);
        s.Lookup(dh8, U32(8), ENOENT);
        yield return s;
    }

    private static IEnumerable<Scenario> ProgArrayScenarios()
    {
        var s = new Scenario("prog_array.create", "ProgArray creation: 4-byte key and value (an fd); no RdOnlyProg/WrOnlyProg");
        s.TryCreate(M.ProgArray, 4, 4, 4);
        s.TryCreate(M.ProgArray, 4, 8, 4, expect: EINVAL);
        s.TryCreate(M.ProgArray, 8, 4, 4, expect: EINVAL);
        s.TryCreate(M.ProgArray, 4, 4, 0, expect: EINVAL);
        s.TryCreate(M.ProgArray, 4, 4, 4, F.RdOnlyProg, expect: EINVAL);
        s.TryCreate(M.ProgArray, 4, 4, 4, F.WrOnlyProg, expect: EINVAL);
        yield return s;

        s = new Scenario("prog_array.elements", "ProgArray: only BPF_ANY; the index before the fd; an fd that is not a program -> EINVAL, no fd -> EBADF; slots stay empty");
        Handle p = s.Create(M.ProgArray, 4, 4, 4);
        Handle notProgram = s.Create(M.Array, 4, 4, 1);
        s.Lookup(p, U32(0), ENOENT);
        s.Lookup(p, U32(4), ENOENT);
        s.Update(p, U32(0), Val.FdOf(notProgram), U.Any, EINVAL);
        s.Update(p, U32(0), Val.Fd(BadFd), U.Any, EBADF);
        s.Update(p, U32(0), Val.Fd(-1), U.Any, EBADF);
        s.Update(p, U32(0), Val.FdOf(notProgram), U.NoExist, EINVAL);
        s.Update(p, U32(0), Val.FdOf(notProgram), U.Exist, EINVAL);
        s.Update(p, U32(4), Val.FdOf(notProgram), U.Any, E2BIG);
        s.Update(p, U32(4), Val.Fd(BadFd), U.Any, E2BIG);
        s.Update(p, U32(4), Val.Fd(BadFd), U.NoExist, EINVAL);
        s.Update(p, U32(0), Val.FdOf(notProgram), U.Lock, EINVAL);
        s.Delete(p, U32(0), ENOENT);
        s.Delete(p, U32(4), E2BIG);
        s.NextKey(p, null, None, next: "00000000");
        s.NextKey(p, U32(3), ENOENT);
        s.Walk(p, "00000000,01000000,02000000,03000000");
        s.Dump(p, "00000000=!ENOENT,01000000=!ENOENT,02000000=!ENOENT,03000000=!ENOENT");
        Handle self = s.Create(M.ProgArray, 4, 4, 2);
        s.Update(self, U32(0), Val.FdOf(self), EINVAL);
        s.Update(self, U32(0), Val.Fd(2), EINVAL);
        yield return s;

        s = new Scenario("fd_arrays.perf_event_and_cgroup", "PerfEventArray and CgroupArray with no perf event or cgroup: an fd of anything else -> EBADF; lookups have no syscall side (ENOTSUPP); empty slots");
        foreach (M type in new[] { M.PerfEventArray, M.CgroupArray })
        {
            Handle fdArray = s.Create(type, 4, 4, 2);
            Handle map = s.Create(M.Array, 4, 4, 1);
            s.Update(fdArray, U32(0), Val.FdOf(map), EBADF);
            s.Update(fdArray, U32(0), Val.Fd(BadFd), EBADF);
            s.Update(fdArray, U32(0), Val.FdOf(map), U.NoExist, EINVAL);
            s.Update(fdArray, U32(2), Val.FdOf(map), E2BIG);
            s.Lookup(fdArray, U32(0), ENOTSUPP);
            s.Lookup(fdArray, U32(5), ENOTSUPP);
            s.Delete(fdArray, U32(0), ENOENT);
            s.Delete(fdArray, U32(2), E2BIG);
            s.Walk(fdArray, "00000000,01000000");
        }

        yield return s;

        s = new Scenario("stack_trace.elements", "StackTrace from user space: no stack is stored (lookup ENOENT, update EINVAL); delete beyond the buckets -> E2BIG; the walk is empty");
        Handle st = s.Create(M.StackTrace, 4, 16, 4);
        s.Lookup(st, U32(0), ENOENT);
        s.Update(st, U32(0), Fill(16, 1), EINVAL);
        s.Update(st, U32(0), Fill(16, 1), U.NoExist, EINVAL);
        s.Delete(st, U32(3), ENOENT);
        s.Delete(st, U32(4), E2BIG);
        s.NextKey(st, null, ENOENT);
        s.Walk(st, "-");
        s.TryCreate(M.StackTrace, 4, 12, 4, expect: EINVAL);
        s.TryCreate(M.StackTrace, 4, 8 * 128, 4, expect: EINVAL);
        s.TryCreate(M.StackTrace, 4, 64, 4, F.StackBuildId);
        s.TryCreate(M.StackTrace, 4, 48, 4, F.StackBuildId, expect: EINVAL);
        yield return s;
    }
}
