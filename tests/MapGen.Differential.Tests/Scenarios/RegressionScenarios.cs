using MapGen.Differential.Tests.Model;
using static MapGen.BpfErrno;
using static MapGen.Differential.Tests.Model.Scenario;
using F = MapGen.BpfMapFlags;
using M = MapGen.BpfMapType;
using U = MapGen.BpfUpdateFlags;

namespace MapGen.Differential.Tests.Scenarios;

/// <summary>
/// One scenario for each divergence the differential test found between the emulated and the
/// native runtime, named after it, kept so that it cannot come back.
/// </summary>
public static partial class Catalog
{
    private static IEnumerable<Scenario> RegressionScenarios()
    {
        // Native UpdateBatch used to fall back to single updates for NoExist/Exist, which then
        // honoured the flag (EEXIST, E2BIG, ...), where the kernel's batch and the emulated runtime
        // refuse any elem_flags but BPF_F_LOCK with EINVAL. Fixed in the native runtime.
        var s = new Scenario("regression.batch_flags_other_than_lock_are_einval",
            "UpdateBatch with NoExist or Exist is EINVAL with nothing written, on every map type (the kernel's batch elem_flags take BPF_F_LOCK only)");
        Handle h = s.Create(M.Hash, 4, 4, 2);
        s.Update(h, U32(1), U32(1), None);
        s.UpdateBatch(h, [U32(1)], [U32(2)], U.NoExist, EINVAL, written: 0);
        s.UpdateBatch(h, [U32(2), U32(3), U32(4)], [U32(2), U32(3), U32(4)], U.NoExist, EINVAL, written: 0);
        s.UpdateBatch(h, [U32(1)], [U32(2)], U.Exist, EINVAL, written: 0);
        s.UpdateBatch(h, [U32(9)], [U32(2)], U.Exist, EINVAL, written: 0);
        s.UpdateBatch(h, [U32(1)], [U32(2)], (U)8, EINVAL, written: 0);
        s.Dump(h, "01000000=01000000");
        // DevMap has no kernel batch: the native runtime updates one by one, with the same answer.
        Handle d = s.Create(M.DevMap, 4, 4, 2);
        s.UpdateBatch(d, [U32(0)], [U32(1)], U.NoExist, EINVAL, written: 0);
        s.UpdateBatch(d, [U32(0)], [U32(1)], U.Exist, EINVAL, written: 0);
        s.UpdateBatch(d, [U32(0), U32(1)], [U32(1), U32(1)], U.Any, None, written: 2);
        Handle t = s.Create(M.Hash, 4, 4, 2);
        Handle hom = s.Create(M.HashOfMaps, 4, 4, 1, inner: t);
        s.UpdateBatch(hom, [U32(5)], [Val.FdOf(t)], U.NoExist, EINVAL, written: 0);
        s.Walk(hom, "-");
        yield return s;

        // Native UpdateBatch reported every element as written when the kernel refused the batch
        // as a whole (the count it leaves untouched then): BPF_F_LOCK without a spin lock, a
        // read-only fd. The emulated runtime said 0. Fixed in the native runtime.
        s = new Scenario("regression.batch_refused_as_a_whole_writes_nothing",
            "UpdateBatch refused before its first element (BPF_F_LOCK without a bpf_spin_lock, a read-only fd) reports 0 elements written");
        h = s.Create(M.Hash, 4, 8, 4);
        s.UpdateBatch(h, [U32(1), U32(2)], [V8A, V8B], U.Lock, EINVAL, written: 0);
        Handle a = s.Create(M.Array, 4, 4, 4);
        s.UpdateBatch(a, [U32(0), U32(1), U32(2)], [U32(1), U32(2), U32(3)], U.Lock, EINVAL, written: 0);
        Handle readOnly = s.Create(M.Array, 4, 4, 4, F.RdOnly);
        s.UpdateBatch(readOnly, [U32(0), U32(1)], [U32(1), U32(2)], U.Any, EPERM, written: 0);
        Handle readOnlyHash = s.Create(M.Hash, 4, 4, 4, F.RdOnly);
        s.UpdateBatch(readOnlyHash, [U32(0)], [U32(1)], U.Any, EPERM, written: 0);
        s.Dump(h, "-");
        s.Dump(a, "00000000=00000000,01000000=00000000,02000000=00000000,03000000=00000000");
        yield return s;

        // The native runtime enumerates an ArrayOfMaps with the kernel's batched read, which skips
        // empty slots; the emulated runtime (and the native one where batches are missing) walked
        // get_next_key, which visits every index. Fixed in the runtime's default walk (both sides).
        s = new Scenario("regression.array_of_maps_keys_are_the_filled_slots",
            "The runtime's keys of an ArrayOfMaps (and a DevMap) are the indexes of its filled slots, as the kernel's batched read gives them");
        t = s.Create(M.Hash, 4, 4, 2);
        Handle aom = s.Create(M.ArrayOfMaps, 4, 4, 5, inner: t);
        s.EnumerateKeys(aom, "-");
        s.Update(aom, U32(3), Val.FdOf(t), None);
        s.EnumerateKeys(aom, "03000000");
        s.Enumerate(aom, "03000000=I1");
        s.Walk(aom, "00000000,01000000,02000000,03000000,04000000");
        // A DevMap has no batched read, and get_next_key walks every index; its empty slots are no
        // keys either (their lookup is ENOENT), so the runtime's keys skip them on both sides.
        Handle devmap = s.Create(M.DevMap, 4, 4, 3);
        s.EnumerateKeys(devmap, "-");
        s.Update(devmap, U32(1), U32(1), None);
        s.EnumerateKeys(devmap, "01000000");
        s.Enumerate(devmap, "01000000=01000000");
        s.Walk(devmap, "00000000,01000000,02000000");
        yield return s;

        // The emulated runtime keyed pins by the path string, so "dir/./m" or "dir//m" missed the
        // pin "dir/m" that the kernel's path walk finds, a NUL was accepted (the native runtime
        // refuses it with EINVAL) and over-long names were pinned (ENAMETOOLONG natively). Fixed in
        // the emulated runtime, which now resolves pin paths as the path walk does.
        s = new Scenario("regression.pin_paths_resolve_like_the_kernel", "Pin paths are resolved like the kernel's path walk: '//' and '/./' name the same pin; NUL -> EINVAL; a component over NAME_MAX or a path of PATH_MAX -> ENAMETOOLONG");
        Handle m = s.Create(M.Array, 4, 4, 1);
        s.Pin(m, "m", None);
        Handle viaDot = s.OpenPinned("./m", None);
        Handle viaSlashes = s.OpenPinned(".//m", None);
        s.Pin(m, ".//m", EEXIST);
        s.Unpin(viaDot, "././m", None);
        s.OpenPinned("m", ENOENT);
        s.Close(viaDot);
        s.Close(viaSlashes);
        s.Pin(m, "bad\0name", EINVAL);
        s.OpenPinned("bad\0name", EINVAL);
        s.Pin(m, new string('n', 256), ENAMETOOLONG);
        s.OpenPinned(new string('n', 256), ENAMETOOLONG);
        s.Pin(m, new string('n', 255), None);
        Handle longName = s.OpenPinned(new string('n', 255), None);
        s.Unpin(longName, "./" + new string('n', 255), None);
        s.OpenPinned(string.Join('/', Enumerable.Repeat(".", 2100)) + "/m", ENAMETOOLONG);
        yield return s;

        // Found by the differential fuzzer: the emulated runtime let a PerCpuArray of other max
        // entries into an outer map whose template is a PerCpuArray; the kernel compares max
        // entries for per-CPU arrays as for arrays (which, unlike arrays, cannot opt out with
        // BPF_F_INNER_MAP). The compatibility check comes before a HashOfMaps' flags, so a missing
        // key with Exist is EINVAL too. Fixed in MapTypeTraits (the rule both runtimes, the typed
        // API and the generator use).
        s = new Scenario("regression.per_cpu_array_inner_maps_keep_the_template_max_entries",
            "A PerCpuArray goes into an outer map only with the template's max entries (EINVAL otherwise, before a HashOfMaps' flags are looked at)");
        t = s.Create(M.PerCpuArray, 4, 8, 2);
        aom = s.Create(M.ArrayOfMaps, 4, 4, 2, inner: t);
        hom = s.Create(M.HashOfMaps, 4, 4, 2, inner: t);
        Handle sameSize = s.Create(M.PerCpuArray, 4, 8, 2);
        Handle larger = s.Create(M.PerCpuArray, 4, 8, 4);
        Handle smaller = s.Create(M.PerCpuArray, 4, 8, 1);
        s.Update(aom, U32(0), Val.FdOf(larger), EINVAL);
        s.Update(aom, U32(0), Val.FdOf(smaller), EINVAL);
        s.Update(hom, U32(7), Val.FdOf(larger), U.Exist, EINVAL);
        s.Update(hom, U32(7), Val.FdOf(larger), U.NoExist, EINVAL);
        s.Update(aom, U32(1), Val.FdOf(sameSize), None);
        s.Update(hom, U32(7), Val.FdOf(sameSize), U.NoExist, None);
        s.UpdateBatch(aom, [U32(0)], [Val.FdOf(larger)], U.Any, EINVAL, written: 0);
        s.Dump(aom, "00000000=!ENOENT,01000000=I4");
        s.Dump(hom, "07000000=I4");
        yield return s;

        // Found by the differential fuzzer: for a map type without a kernel batch (DevMap,
        // DevMapHash) the native runtime updates one element after another, and judged the flags
        // by the elements only, so an empty batch with BPF_F_LOCK succeeded where the kernel's batch
        // (and the emulated runtime) refuses BPF_F_LOCK without a bpf_spin_lock in the value before
        // the first element. Fixed in the native runtime: without value BTF there is no spin lock.
        s = new Scenario("regression.batch_lock_without_spin_lock_is_einval_even_when_empty",
            "UpdateBatch with BPF_F_LOCK on a map without a bpf_spin_lock is EINVAL with nothing written, even for no elements, with or without a kernel batch");
        h = s.Create(M.Hash, 4, 4, 4);
        s.UpdateBatch(h, [], [], U.Lock, EINVAL, written: 0);
        Handle dh = s.Create(M.DevMapHash, 4, 4, 4);
        s.UpdateBatch(dh, [], [], U.Lock, EINVAL, written: 0);
        s.UpdateBatch(dh, [U32(1)], [U32(1)], U.Lock, EINVAL, written: 0);
        s.UpdateBatch(dh, [], [], U.Any, None, written: 0);
        d = s.Create(M.DevMap, 4, 4, 4);
        s.UpdateBatch(d, [], [], U.Lock, EINVAL, written: 0);
        s.UpdateBatch(d, [], [], U.NoExist, EINVAL, written: 0);
        Handle progArray = s.Create(M.ProgArray, 4, 4, 4);
        s.UpdateBatch(progArray, [], [], U.Lock, EINVAL, written: 0);
        s.Walk(dh, "-");
        // A read-only fd is refused before the flags and before finding that DevMap has no kernel
        // batch, even for no elements: EPERM. The native runtime judged empty batches and the
        // flags before the permissions. Fixed in the native runtime, which now asks the kernel's
        // batch first every time.
        Handle readOnlyDevMap = s.Create(M.DevMap, 4, 4, 4, F.RdOnly);
        s.UpdateBatch(readOnlyDevMap, [], [], U.Any, EPERM, written: 0);
        s.UpdateBatch(readOnlyDevMap, [U32(0)], [U32(1)], U.NoExist, EPERM, written: 0);
        Handle readOnlyDevMapHash = s.Create(M.DevMapHash, 4, 4, 4, F.RdOnly);
        s.UpdateBatch(readOnlyDevMapHash, [], [], U.Lock, EPERM, written: 0);
        yield return s;

        // Found by the differential fuzzer: the emulated DevMapHash answered EEXIST to NoExist on
        // an existing key with ifindex 0, where the kernel refuses ifindex 0 (no entry can be
        // cleared that way) with the flags, before it looks the key up. Fixed in the emulated runtime.
        s = new Scenario("regression.devmap_hash_refuses_ifindex_0_before_looking_up_the_key",
            "DevMapHash: ifindex 0 is EINVAL before the key is looked up (before NoExist's EEXIST and the full map's E2BIG); an unknown ifindex after EEXIST");
        dh = s.Create(M.DevMapHash, 4, 4, 1);
        s.Update(dh, U32(42), U32(1), U.Exist, None);
        s.Update(dh, U32(42), U32(0), U.NoExist, EINVAL);
        s.Update(dh, U32(42), U32(0), U.Any, EINVAL);
        s.Update(dh, U32(43), U32(0), U.Any, EINVAL);
        s.Update(dh, U32(42), U32(NoSuchIfindex), U.NoExist, EEXIST);
        s.Update(dh, U32(43), U32(NoSuchIfindex), U.Any, EINVAL);
        s.Update(dh, U32(43), U32(1), U.Any, E2BIG);
        Handle dh8 = s.Create(M.DevMapHash, 4, 8, 2);
        s.Update(dh8, U32(1), Cat(U32(0), I32(0)), EINVAL);
        s.Update(dh8, U32(1), Cat(U32(1), I32(0)), None);
        s.Update(dh8, U32(1), Cat(U32(0), I32(-1)), U.NoExist, EINVAL);
        s.Dump(dh, "2a000000=01000000");
        s.Dump(dh8, "01000000=0100000000000000");
        yield return s;
    

        // Found by the differential fuzzer: an empty delete batch through a read-only fd succeeded
        // on the emulated runtime; the kernel checks the fd's write right before it looks at the
        // batch (bpf_map_do_batch), for every map type, batch or not.
        s = new Scenario("regression.empty_delete_batch_through_a_read_only_fd_is_eperm",
            "DELETE_BATCH: a read-only fd is EPERM even for an empty batch, whether or not the type has a kernel delete batch");
        Handle readOnlyArray = s.Create(M.Array, 4, 4, 8, F.RdOnly);
        s.DeleteBatch(readOnlyArray, [], EPERM, deleted: 0);
        Handle readOnlyTable = s.Create(M.Hash, 4, 4, 8, F.RdOnly);
        s.DeleteBatch(readOnlyTable, [], EPERM, deleted: 0);
        s.DeleteBatch(readOnlyTable, [U32(1)], EPERM, deleted: 0);
        Handle writable = s.Create(M.Array, 4, 4, 8);
        s.DeleteBatch(writable, [], None, deleted: 0);
        yield return s;

        // Found by the differential fuzzer: the emulated stack trace map refused lookup-and-delete
        // (ENOTSUPP); the kernel takes it for stack maps too (bpf_stackmap_extract), and an empty
        // bucket, or an id past the buckets, is ENOENT.
        s = new Scenario("regression.stack_trace_lookup_and_delete_is_enoent",
            "LOOKUP_AND_DELETE_ELEM on a stack trace map: ENOENT for every id, in range or not (delete says E2BIG past the buckets)");
        Handle stacks = s.Create(M.StackTrace, 4, 16, 4);
        s.LookupAndDelete(stacks, U32(0), ENOENT);
        s.LookupAndDelete(stacks, U32(3), ENOENT);
        s.LookupAndDelete(stacks, U32(4), ENOENT);
        s.LookupAndDelete(stacks, U32(1000), ENOENT);
        s.Delete(stacks, U32(1000), E2BIG);
        s.Drain(stacks, None, "-");
        yield return s;
}
}
