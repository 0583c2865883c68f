using System;
using System.Collections.Generic;

namespace MapGen;

/// <summary>
/// The borrowed inner-map handles of one outer handle, by map ID, so that a steady-state typed
/// lookup costs one system call. It remembers which slots each map was found in (or put in): a
/// handle is released when every slot it was found in has been replaced or deleted through the
/// typed API (one inner map may sit in many slots), or when the outer handle is disposed.
/// </summary>
/// <remarks>
/// <para>
/// Only the lookup index is bounded (<see cref="Capacity"/> handles, least recently used out): a
/// handle that leaves the index stays open, as the specification promises borrowed inner maps,
/// and a later lookup of its map finds it again through <see cref="Add"/>.
/// </para>
/// <para>
/// A lookup reads the slot before it notes what it found, so its answer may be older than an
/// update or delete the typed API made meanwhile. A lookup therefore never overwrites a slot's
/// note made by the typed API after the lookup began (<see cref="BeginLookup"/>): that would
/// re-point the slot to the old map and release the new one.
/// </para>
/// <para>
/// Typed changes note what they wrote once the kernel has taken it, so two changes of one slot
/// on two threads may note in the other order than the kernel applied them: the later note would
/// name the map the slot no longer holds and release the one it holds. A change that overlapped
/// another (<see cref="BeginSlotChange"/> to <see cref="EndSlotChange"/>) therefore notes what
/// the kernel holds, read under this cache's lock: the last change to end then notes the slot's
/// final map, whatever the order. A change that overlapped none notes what it wrote, at no cost.
/// </para>
/// <para>
/// Each map's slots are counted (a reverse index by ID), so that noting, releasing and adding
/// cost the same however many slots the outer map has.
/// </para>
/// </remarks>
internal sealed class InnerMapCache
{
    public const int Capacity = 1024;

    private readonly object _gate = new();

    /// <summary>Every handle held: those in the lookup index and those evicted from it.</summary>
    private readonly Dictionary<uint, Entry> _handles = new();

    /// <summary>The lookup index, most recently used first.</summary>
    private readonly LinkedList<Entry> _index = new();

    /// <summary>What each slot was last seen or put to hold.</summary>
    private readonly Dictionary<byte[], SlotNote> _slots = new(ByteArrayComparer.Instance);

    /// <summary>The reverse of <see cref="_slots"/>: how many slots are noted as holding each map ID.</summary>
    private readonly Dictionary<uint, int> _slotCounts = new();

    /// <summary>How many slot changes the typed API made: the stamp of the latest one.</summary>
    private long _changes;

    /// <summary>The stamp of the latest typed change that emptied a slot.</summary>
    private long _lastDeletion;

    /// <summary>Typed slot changes begun and not yet ended.</summary>
    private int _changesInFlight;

    /// <summary>How many typed slot changes began while another was in flight.</summary>
    private long _overlappingStarts;

    private bool _closed;

    /// <summary>A cache that is closed from the start: the one a closed outer handle has.</summary>
    public static InnerMapCache Closed { get; } = new() { _closed = true };

    /// <summary>How many handles are held (in the lookup index or not).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _handles.Count;
            }
        }
    }

    /// <summary>How many handles the lookup index holds (at most <see cref="Capacity"/>).</summary>
    internal int IndexedCount
    {
        get
        {
            lock (_gate)
            {
                return _index.Count;
            }
        }
    }

    /// <summary>How many slots are noted as holding map <paramref name="id"/>.</summary>
    internal int SlotsNoted(uint id)
    {
        lock (_gate)
        {
            return _slotCounts.GetValueOrDefault(id);
        }
    }

    /// <summary>The ID of the map <paramref name="slot"/> is noted as holding; null when none is noted.</summary>
    internal uint? NotedMap(ReadOnlySpan<byte> slot)
    {
        lock (_gate)
        {
            return _slots.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(slot, out SlotNote note) ? note.Id : null;
        }
    }

    /// <summary>The stamp to pass to <see cref="TryGet"/> and <see cref="Add"/>: read it before reading the slot from the kernel.</summary>
    public long BeginLookup()
    {
        lock (_gate)
        {
            return _changes;
        }
    }

    /// <summary>
    /// Finds the indexed handle of map <paramref name="id"/>, and notes that it was found in
    /// <paramref name="slot"/> by a lookup that began at <paramref name="lookupStamp"/>.
    /// </summary>
    public bool TryGet(uint id, ReadOnlySpan<byte> slot, long lookupStamp, out BpfMap map)
    {
        BpfMap? released;
        lock (_gate)
        {
            if (_closed || !_handles.TryGetValue(id, out Entry? entry) || entry.Node is null || entry.Map.IsDisposed)
            {
                map = null!;
                return false;
            }

            if (entry.Node != _index.First)
            {
                _index.Remove(entry.Node);
                _index.AddFirst(entry.Node);
            }

            released = NoteLookup(slot, id, lookupStamp);
            map = entry.Map;
        }

        released?.Close();
        return true;
    }

    /// <summary>
    /// Adds a borrowed handle found in <paramref name="slot"/> by a lookup that began at
    /// <paramref name="lookupStamp"/>; returns the one to use (a handle of the same map may
    /// already be held: then <paramref name="map"/> is closed).
    /// </summary>
    /// <exception cref="ObjectDisposedException">The outer handle was closed (<see cref="Clear"/>); <paramref name="map"/> is closed.</exception>
    public BpfMap Add(BpfMap map, ReadOnlySpan<byte> slot, long lookupStamp)
    {
        var toClose = new List<BpfMap>(2);
        BpfMap? result = null;
        lock (_gate)
        {
            if (_closed)
            {
                toClose.Add(map);
            }
            else
            {
                if (_handles.TryGetValue(map.Id, out Entry? existing) && !existing.Map.IsDisposed)
                {
                    toClose.Add(map);
                    if (existing.Node is null)
                    {
                        // Evicted from the index but still held: index it again.
                        existing.Node = _index.AddFirst(existing);
                    }
                    else if (existing.Node != _index.First)
                    {
                        _index.Remove(existing.Node);
                        _index.AddFirst(existing.Node);
                    }

                    result = existing.Map;
                }
                else
                {
                    if (existing is not null)
                    {
                        Forget(existing);
                    }

                    var entry = new Entry(map);
                    entry.Node = _index.AddFirst(entry);
                    _handles[map.Id] = entry;
                    result = map;
                }

                if (_index.Count > Capacity && Evict(_index.Last!.Value) is { } evicted)
                {
                    toClose.Add(evicted);
                }

                if (NoteLookup(slot, map.Id, lookupStamp) is { } released)
                {
                    toClose.Add(released);
                }
            }
        }

        foreach (BpfMap closed in toClose)
        {
            closed.Close();
        }

        return result ?? throw new ObjectDisposedException(nameof(BpfMap),
            $"The outer map's handle was disposed while a lookup found inner map '{map.Name}' (ID {map.Id}).");
    }

    /// <summary>
    /// Call before the kernel changes slots of the outer map through the typed API (an update, a
    /// batch, a delete), and pass the result to <see cref="EndSlotChange"/> in every case.
    /// </summary>
    public SlotChange BeginSlotChange()
    {
        lock (_gate)
        {
            bool overlapping = _changesInFlight++ > 0;
            if (overlapping)
            {
                _overlappingStarts++;
            }

            return new SlotChange(overlapping, _overlappingStarts);
        }
    }

    /// <summary>
    /// Ends a typed change of <paramref name="outer"/> (the map this cache belongs to): the kernel
    /// changed the slots <paramref name="slots"/> (keys laid end to end, none when it refused the
    /// change) to hold <paramref name="newIds"/> (0: deleted). The handle of a map that no noted
    /// slot holds any more is released.
    /// </summary>
    public void EndSlotChange(SlotChange change, BpfMap outer, ReadOnlySpan<byte> slots, ReadOnlySpan<uint> newIds)
    {
        List<BpfMap>? released = null;
        lock (_gate)
        {
            _changesInFlight--;
            bool overlapped = change.StartedWhileAnotherWasInFlight || _overlappingStarts != change.OverlappingStartsAtBegin;
            if (!_closed && newIds.Length != 0)
            {
                int keySize = slots.Length / newIds.Length;
                Span<byte> idBytes = stackalloc byte[sizeof(uint)];
                for (int i = 0; i < newIds.Length; i++)
                {
                    ReadOnlySpan<byte> slot = slots.Slice(i * keySize, keySize);
                    uint id = overlapped ? ReadSlot(outer, slot, idBytes, newIds[i]) : newIds[i];
                    if (NoteChange(slot, id) is { } map)
                    {
                        (released ??= []).Add(map);
                    }
                }
            }
        }

        if (released is not null)
        {
            foreach (BpfMap map in released)
            {
                map.Close();
            }
        }
    }

    /// <summary>Releases every handle and refuses new ones: the outer handle is closed.</summary>
    public void Clear()
    {
        List<Entry> released;
        lock (_gate)
        {
            _closed = true;
            released = new List<Entry>(_handles.Values);
            _handles.Clear();
            _index.Clear();
            _slots.Clear();
            _slotCounts.Clear();
        }

        foreach (Entry entry in released)
        {
            entry.Map.Close();
        }
    }

    /// <summary>
    /// What <paramref name="slot"/> holds in the kernel now (0: empty); <paramref name="written"/>
    /// when the outer handle cannot read it (a write-only fd) or is closing.
    /// </summary>
    private static uint ReadSlot(BpfMap outer, ReadOnlySpan<byte> slot, Span<byte> idBytes, uint written)
    {
        BpfErrno errno;
        try
        {
            errno = outer.TryLookup(slot, idBytes);
        }
        catch (ObjectDisposedException)
        {
            // Closing: its Clear, waiting for this lock, releases everything.
            return written;
        }

        return errno switch
        {
            BpfErrno.None => System.Runtime.InteropServices.MemoryMarshal.Read<uint>(idBytes),
            BpfErrno.ENOENT => 0,
            _ => written,
        };
    }

    /// <summary>Notes a typed change: <paramref name="slot"/> holds map <paramref name="id"/> (0: nothing); returns a handle to close.</summary>
    private BpfMap? NoteChange(ReadOnlySpan<byte> slot, uint id)
    {
        long stamp = ++_changes;
        if (id != 0)
        {
            return SetNote(slot, new SlotNote(id, stamp));
        }

        _lastDeletion = stamp;
        return _slots.GetAlternateLookup<ReadOnlySpan<byte>>().Remove(slot, out _, out SlotNote previous) ? UncountSlot(previous.Id) : null;
    }

    /// <summary>
    /// A lookup that began at <paramref name="lookupStamp"/> found <paramref name="id"/> in
    /// <paramref name="slot"/>. It does not overwrite a note the typed API made after it began.
    /// </summary>
    private BpfMap? NoteLookup(ReadOnlySpan<byte> slot, uint id, long lookupStamp)
    {
        var slots = _slots.GetAlternateLookup<ReadOnlySpan<byte>>();
        if (slots.TryGetValue(slot, out SlotNote previous)
                ? previous.Id == id || previous.Stamp > lookupStamp
                : lookupStamp < _lastDeletion)
        {
            // A slot without a note may have been emptied after the lookup read it (a deleted
            // slot leaves no note to compare with): then the map stays held, but for no slot,
            // until the lookup index lets it go.
            return null;
        }

        return SetNote(slot, new SlotNote(id, lookupStamp));
    }

    /// <summary>Records <paramref name="note"/> for <paramref name="slot"/>; returns a handle to close if the slot's previous map is no longer in any slot.</summary>
    private BpfMap? SetNote(ReadOnlySpan<byte> slot, SlotNote note)
    {
        var slots = _slots.GetAlternateLookup<ReadOnlySpan<byte>>();
        bool had = slots.TryGetValue(slot, out SlotNote previous);
        slots[slot] = note;
        if (had && previous.Id == note.Id)
        {
            return null;
        }

        _slotCounts[note.Id] = _slotCounts.GetValueOrDefault(note.Id) + 1;
        return had ? UncountSlot(previous.Id) : null;
    }

    private BpfMap? UncountSlot(uint id)
    {
        int remaining = _slotCounts.GetValueOrDefault(id) - 1;
        if (remaining > 0)
        {
            _slotCounts[id] = remaining;
            return null;
        }

        _slotCounts.Remove(id);
        if (_handles.TryGetValue(id, out Entry? entry))
        {
            Forget(entry);
            return entry.Map;
        }

        return null;
    }

    /// <summary>Takes the least recently used entry out of the index; returns its handle to close only if no noted slot holds its map.</summary>
    private BpfMap? Evict(Entry entry)
    {
        _index.Remove(entry.Node!);
        entry.Node = null;
        if (_slotCounts.ContainsKey(entry.Map.Id))
        {
            return null;
        }

        // Found in a slot that the typed API changed while the lookup ran: nothing holds it.
        _handles.Remove(entry.Map.Id);
        return entry.Map;
    }

    private void Forget(Entry entry)
    {
        _handles.Remove(entry.Map.Id);
        if (entry.Node is not null)
        {
            _index.Remove(entry.Node);
            entry.Node = null;
        }
    }

    /// <summary>A slot's map, and the stamp of the typed change that put it there (or of the lookup that found it).</summary>
    private readonly record struct SlotNote(uint Id, long Stamp);

    /// <summary>A typed slot change in flight (<see cref="BeginSlotChange"/>): whether another overlapped it so far.</summary>
    internal readonly record struct SlotChange(bool StartedWhileAnotherWasInFlight, long OverlappingStartsAtBegin);

    private sealed class Entry(BpfMap map)
    {
        public BpfMap Map { get; } = map;

        /// <summary>Its node in the lookup index; null once evicted from it.</summary>
        public LinkedListNode<Entry>? Node { get; set; }
    }
}
