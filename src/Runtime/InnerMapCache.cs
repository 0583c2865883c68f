using System;
using System.Collections.Generic;

namespace MapGen;

/// <summary>
/// The borrowed inner-map handles of one outer handle, by map ID, so that a steady-state typed
/// lookup costs one system call. It remembers which slots each handle was found in: a handle is
/// released when every slot it was found in has been replaced or deleted through the typed API
/// (one inner map may sit in many slots), when the outer handle is disposed, or, past
/// <see cref="Capacity"/> maps, when it is the least recently used.
/// </summary>
internal sealed class InnerMapCache
{
    public const int Capacity = 1024;

    private readonly object _gate = new();
    private readonly Dictionary<uint, Entry> _byId = new();
    private readonly LinkedList<Entry> _recency = new();
    private readonly Dictionary<byte[], uint> _slotIds = new(ByteArrayComparer.Instance);

    /// <summary>Finds the handle of map <paramref name="id"/>, and notes that it was found in <paramref name="slot"/>.</summary>
    public bool TryGet(uint id, ReadOnlySpan<byte> slot, out BpfMap map)
    {
        BpfMap? released;
        lock (_gate)
        {
            if (!_byId.TryGetValue(id, out Entry? entry) || entry.Map.IsDisposed)
            {
                map = null!;
                return false;
            }

            if (entry.Node != _recency.First)
            {
                _recency.Remove(entry.Node);
                _recency.AddFirst(entry.Node);
            }

            released = NoteSlot(slot, id);
            map = entry.Map;
        }

        released?.Close();
        return true;
    }

    /// <summary>
    /// Adds a borrowed handle found in <paramref name="slot"/>; returns the one to use (another
    /// thread may have added the same map first).
    /// </summary>
    public BpfMap Add(BpfMap map, ReadOnlySpan<byte> slot)
    {
        var toClose = new List<BpfMap>(2);
        BpfMap result;
        lock (_gate)
        {
            if (_byId.TryGetValue(map.Id, out Entry? existing) && !existing.Map.IsDisposed)
            {
                result = existing.Map;
                toClose.Add(map);
            }
            else
            {
                if (existing is not null)
                {
                    Forget(existing);
                }

                var entry = new Entry(map) { Slots = SlotsHolding(map.Id) };
                entry.Node = _recency.AddFirst(entry);
                _byId[map.Id] = entry;
                result = map;
                if (_byId.Count > Capacity)
                {
                    Entry oldest = _recency.Last!.Value;
                    Forget(oldest);
                    toClose.Add(oldest.Map);
                }
            }

            if (NoteSlot(slot, map.Id) is { } released)
            {
                toClose.Add(released);
            }
        }

        foreach (BpfMap closed in toClose)
        {
            closed.Close();
        }

        return result;
    }

    /// <summary>
    /// The typed API changed <paramref name="slot"/>: it now holds map <paramref name="newId"/>
    /// (0 when deleted). The handle found there before is released unless another slot holds it.
    /// </summary>
    public void SlotChanged(ReadOnlySpan<byte> slot, uint newId)
    {
        BpfMap? released;
        lock (_gate)
        {
            released = newId == 0 ? ForgetSlot(slot) : NoteSlot(slot, newId);
        }

        released?.Close();
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _byId.Count;
            }
        }
    }

    public void Clear()
    {
        List<Entry> released;
        lock (_gate)
        {
            released = new List<Entry>(_recency);
            _byId.Clear();
            _recency.Clear();
            _slotIds.Clear();
        }

        foreach (Entry entry in released)
        {
            entry.Map.Close();
        }
    }

    /// <summary>Records that <paramref name="slot"/> holds <paramref name="id"/>; returns a handle to close if the slot's previous map is no longer in any slot.</summary>
    private BpfMap? NoteSlot(ReadOnlySpan<byte> slot, uint id)
    {
        var slots = _slotIds.GetAlternateLookup<ReadOnlySpan<byte>>();
        if (slots.TryGetValue(slot, out uint previous))
        {
            if (previous == id)
            {
                return null;
            }

            slots[slot] = id;
            CountSlot(id);
            return UncountSlot(previous);
        }

        slots[slot] = id;
        CountSlot(id);
        return null;
    }

    private BpfMap? ForgetSlot(ReadOnlySpan<byte> slot)
    {
        var slots = _slotIds.GetAlternateLookup<ReadOnlySpan<byte>>();
        return slots.Remove(slot, out _, out uint previous) ? UncountSlot(previous) : null;
    }

    private void CountSlot(uint id)
    {
        if (_byId.TryGetValue(id, out Entry? entry))
        {
            entry.Slots++;
        }
    }

    private BpfMap? UncountSlot(uint id)
    {
        if (_byId.TryGetValue(id, out Entry? entry) && --entry.Slots <= 0)
        {
            Forget(entry);
            return entry.Map;
        }

        return null;
    }

    /// <summary>Counts the slots already noted as holding <paramref name="id"/> (before its handle was cached).</summary>
    private int SlotsHolding(uint id)
    {
        int count = 0;
        foreach (uint slotId in _slotIds.Values)
        {
            count += slotId == id ? 1 : 0;
        }

        return count;
    }

    /// <summary>Drops an entry and the slots that point at it (rare: release and eviction only).</summary>
    private void Forget(Entry entry)
    {
        _byId.Remove(entry.Map.Id);
        _recency.Remove(entry.Node);
        List<byte[]>? stale = null;
        foreach (KeyValuePair<byte[], uint> pair in _slotIds)
        {
            if (pair.Value == entry.Map.Id)
            {
                (stale ??= new()).Add(pair.Key);
            }
        }

        if (stale is not null)
        {
            foreach (byte[] key in stale)
            {
                _slotIds.Remove(key);
            }
        }
    }

    private sealed class Entry(BpfMap map)
    {
        public BpfMap Map { get; } = map;

        public LinkedListNode<Entry> Node { get; set; } = null!;

        /// <summary>How many slots this handle was found in (or put in) and still holds.</summary>
        public int Slots { get; set; }
    }
}
