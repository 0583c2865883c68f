using System.Collections.Generic;

namespace MapGen;

/// <summary>
/// The borrowed inner-map handles of one outer handle, by map ID, so that a steady-state typed
/// lookup costs one system call. Bounded: past <see cref="Capacity"/> maps the least recently
/// used one is released.
/// </summary>
internal sealed class InnerMapCache
{
    public const int Capacity = 1024;

    private readonly object _gate = new();
    private readonly Dictionary<uint, LinkedListNode<BpfMap>> _byId = new();
    private readonly LinkedList<BpfMap> _recency = new();

    public bool TryGet(uint id, out BpfMap map)
    {
        lock (_gate)
        {
            if (_byId.TryGetValue(id, out LinkedListNode<BpfMap>? node) && !node.Value.IsDisposed)
            {
                if (node != _recency.First)
                {
                    _recency.Remove(node);
                    _recency.AddFirst(node);
                }

                map = node.Value;
                return true;
            }
        }

        map = null!;
        return false;
    }

    /// <summary>Adds a borrowed handle; returns the one to use (another thread may have added the same ID first).</summary>
    public BpfMap Add(BpfMap map)
    {
        BpfMap? evicted = null;
        BpfMap result;
        lock (_gate)
        {
            if (_byId.TryGetValue(map.Id, out LinkedListNode<BpfMap>? existing) && !existing.Value.IsDisposed)
            {
                result = existing.Value;
                evicted = map;
            }
            else
            {
                if (existing is not null)
                {
                    _recency.Remove(existing);
                }

                _byId[map.Id] = _recency.AddFirst(map);
                result = map;
                if (_byId.Count > Capacity)
                {
                    LinkedListNode<BpfMap> oldest = _recency.Last!;
                    _recency.RemoveLast();
                    _byId.Remove(oldest.Value.Id);
                    evicted = oldest.Value;
                }
            }
        }

        evicted?.Close();
        return result;
    }

    public void Release(uint id)
    {
        BpfMap? released = null;
        lock (_gate)
        {
            if (_byId.Remove(id, out LinkedListNode<BpfMap>? node))
            {
                _recency.Remove(node);
                released = node.Value;
            }
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
        List<BpfMap> released;
        lock (_gate)
        {
            released = new List<BpfMap>(_recency);
            _byId.Clear();
            _recency.Clear();
        }

        foreach (BpfMap map in released)
        {
            map.Close();
        }
    }
}
