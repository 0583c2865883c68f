using MapGen.Differential.Tests.Model;
using static MapGen.BpfErrno;
using static MapGen.Differential.Tests.Model.Scenario;
using F = MapGen.BpfMapFlags;
using M = MapGen.BpfMapType;
using U = MapGen.BpfUpdateFlags;

namespace MapGen.Differential.Tests.Scenarios;

/// <summary>Names, fds and IDs: pins, opening by ID and by path, duplicates, read-only and write-only fds.</summary>
public static partial class Catalog
{
    private static IEnumerable<Scenario> HandleScenarios()
    {
        var s = new Scenario("names", "Names: up to 15 characters of [A-Za-z0-9_.], ending at a NUL; anything else -> EINVAL");
        foreach (string name in new[] { "flows", "a.b_9", "9starts_digit", "_", "xxxxxxxxxxxxxxx", "ab\0cd", "" })
        {
            s.TryCreate(M.Array, 4, 4, 1, name: name);
        }

        foreach (string name in new[] { "xxxxxxxxxxxxxxxx", "bad-name", "caf\u00e9", "sp ace", "slash/", "xxxxxxxxxxxxxxxx\0" })
        {
            s.TryCreate(M.Array, 4, 4, 1, name: name, expect: EINVAL);
        }

        s.TryCreate(M.Hash, 4, 4, 1, name: "bad-name", expect: EINVAL);
        // The type's checks come before the name's.
        s.TryCreate(M.Hash, 4, 0, 1, name: "bad-name", expect: EINVAL);
        s.TryCreate(M.LruHash, 4, 4, 1, F.NoPrealloc, name: "bad-name", expect: ENOTSUPP);
        s.TryCreate(M.Hash, 4, 4, (1u << 27) + 1, name: "bad-name", expect: E2BIG);
        s.TryCreate(M.DevMap, 4, 4, 1, name: "dev.map_1");
        yield return s;

        s = new Scenario("handles.pin", "Pins: pin, pin again -> EEXIST, open pinned (same map), a pin keeps the map alive, unpin through another map -> EINVAL, unpin, open -> ENOENT");
        Handle h = s.Create(M.Hash, 4, 4, 8, name: "pinned");
        s.Update(h, U32(1), U32(11), None);
        s.Pin(h, "m", None);
        s.Pin(h, "m", EEXIST);
        Handle p = s.OpenPinned("m", None);
        s.Lookup(p, U32(1), None, value: "0b000000");
        s.OpenPinned("missing", ENOENT);
        Handle d = s.Duplicate(h);
        s.Close(h);
        s.Lookup(d, U32(1), None, value: "0b000000");
        s.Update(d, U32(2), U32(22), None);
        s.Close(d);
        s.Close(p);
        Handle q = s.OpenPinned("m", None);
        s.Lookup(q, U32(2), None, value: "16000000");
        Handle other = s.Create(M.Array, 4, 4, 1);
        s.Pin(other, "o", None);
        s.Unpin(other, "m", EINVAL);
        s.Unpin(q, "m", None);
        s.Unpin(q, "m", ENOENT);
        s.OpenPinned("m", ENOENT);
        Handle r = s.OpenById(h, None);
        s.Close(q);
        s.Close(r);
        s.OpenById(h, ENOENT);
        s.Pin(other, "m", None);
        s.Close(other);
        Handle o2 = s.OpenPinned("o", None);
        Handle o3 = s.OpenPinned("m", None);
        s.Unpin(o2, "o", None);
        s.Unpin(o3, "m", None);
        s.Close(o2);
        s.Close(o3);
        s.OpenById(other, ENOENT);
        yield return s;

        s = new Scenario("handles.open_by_id", "Open by ID: the same map (same ID, new fd); IDs no map has -> ENOENT; closing the last fd frees the map");
        h = s.Create(M.Array, 4, 4, 2);
        s.Update(h, U32(1), U32(5), None);
        Handle byId = s.OpenById(h, None);
        s.Lookup(byId, U32(1), None, value: "05000000");
        Handle byId2 = s.OpenById(byId, None);
        s.Close(h);
        s.Close(byId);
        s.Lookup(byId2, U32(1), None, value: "05000000");
        s.Close(byId2);
        s.OpenById(h, ENOENT);
        s.OpenByRawId(0, ENOENT);
        s.OpenByRawId(int.MaxValue, ENOENT);
        s.OpenByRawId(uint.MaxValue, ENOENT);
        yield return s;

        s = new Scenario("handles.duplicate", "Duplicate: a new fd of the same map; the original's close does not affect it");
        h = s.Create(M.Hash, 4, 4, 4);
        Handle dup = s.Duplicate(h);
        Handle dup2 = s.Duplicate(dup);
        s.Update(dup, U32(3), U32(9), None);
        s.Close(dup);
        s.Lookup(h, U32(3), None, value: "09000000");
        s.Close(h);
        s.Lookup(dup2, U32(3), None, value: "09000000");
        s.Walk(dup2, "03000000");
        yield return s;

        s = new Scenario("handles.access", "RdOnly/WrOnly are fd-only: a read-only fd refuses writes (EPERM), a write-only fd reads (EPERM); duplicates keep the mode, open by ID or by pin does not");
        Handle ro = s.Create(M.Hash, 4, 4, 8, F.RdOnly);
        s.Update(ro, U32(1), U32(1), EPERM);
        s.Update(ro, U32(1), U32(1), (U)8, EPERM);
        s.Delete(ro, U32(1), EPERM);
        s.Lookup(ro, U32(1), ENOENT);
        s.NextKey(ro, null, ENOENT);
        Handle rw = s.OpenById(ro, None);
        s.Update(rw, U32(1), U32(7), None);
        s.Lookup(ro, U32(1), None, value: "07000000");
        s.Walk(ro, "01000000");
        Handle roDup = s.Duplicate(ro);
        s.Update(roDup, U32(2), U32(2), EPERM);
        Handle wo = s.Create(M.Array, 4, 4, 2, F.WrOnly);
        s.Lookup(wo, U32(0), EPERM);
        s.NextKey(wo, null, EPERM);
        s.Update(wo, U32(0), U32(3), None);
        s.Update(wo, U32(5), U32(3), E2BIG);
        s.Delete(wo, U32(0), EINVAL);
        s.Pin(wo, "w", None);
        Handle byPin = s.OpenPinned("w", None);
        s.Lookup(byPin, U32(0), None, value: "03000000");
        s.Unpin(byPin, "w", None);
        Handle woOuter = s.Create(M.ArrayOfMaps, 4, 4, 2, F.WrOnly, inner: wo);
        s.Lookup(woOuter, U32(0), EPERM);
        s.Update(woOuter, U32(0), Val.Fd(BadFd), EBADF);
        s.Delete(woOuter, U32(0), ENOENT);
        yield return s;

        s = new Scenario("handles.closed", "A closed handle refuses every operation (ObjectDisposedException) on both runtimes");
        h = s.Create(M.Hash, 4, 4, 4);
        s.Close(h);
        s.Lookup(h, U32(1), null);
        s.Throws(nameof(ObjectDisposedException));
        s.Update(h, U32(1), U32(1), null);
        s.Throws(nameof(ObjectDisposedException));
        s.Delete(h, U32(1), null);
        s.Throws(nameof(ObjectDisposedException));
        s.Duplicate(h, null);
        s.Throws(nameof(ObjectDisposedException));
        s.Pin(h, "closed", null);
        s.Throws(nameof(ObjectDisposedException));
        s.Close(h);
        yield return s;

        s = new Scenario("pin.outside_bpffs", "BPF_OBJ_PIN only in a bpf filesystem (EPERM elsewhere, nothing created); nothing can be opened or unpinned there (ENOENT)");
        h = s.Create(M.Hash, 4, 4, 4);
        s.Pin(h, "/tmp/mapgen-outside-bpffs", EPERM);
        s.Pin(h, "/dev/shm/mapgen-outside-bpffs", EPERM);
        s.OpenPinned("/tmp/mapgen-outside-bpffs", ENOENT);
        s.Unpin(h, "/tmp/mapgen-outside-bpffs", ENOENT);
        s.Pin(h, "inside", None);
        s.OpenPinned("inside", None);
        s.Unpin(h, "inside", None);
        yield return s;
    }
}
