using System;

namespace MapGen.Emulation;

/// <summary>
/// The kernel's LRU of preallocated hash elements (<c>kernel/bpf/bpf_lru_list.c</c>), ported
/// step by step so that an emulated LRU map keeps and evicts the entries a real one would: the
/// active/inactive/free lists with their rotation and shrinking, the per-CPU local free and
/// pending lists of the common LRU, and the per-CPU lists of <see cref="BpfMapFlags.NoCommonLru"/>.
/// </summary>
/// <remarks>
/// The emulated kernel runs every system call on CPU 0, so only CPU 0's local lists (common LRU)
/// or CPU 0's list (per-CPU LRU) are ever used. From user space the kernel never sets a node's
/// reference bit on lookups; only replacing an element does. The owner serializes every call.
/// Node <c>n</c> is hash-table slot <c>n</c>.
/// </remarks>
internal sealed class LruList
{
    private const byte Active = 0;
    private const byte Inactive = 1;
    private const byte Free = 2;
    private const byte LocalFree = 3;
    private const byte LocalPending = 4;

    private const int LocalFreeTarget = 128;
    private const int PerCpuFreeTarget = 4;

    private readonly int _nodes;
    private readonly int[] _prev;
    private readonly int[] _next;
    private readonly byte[] _type;
    private readonly bool[] _ref;
    private readonly int[] _counts = new int[2];
    private readonly int _pendingHead;
    private readonly int _tmpHead;
    private readonly int[] _localFree;
    private readonly bool _perCpu;
    private readonly int _nrScans;
    private readonly int _targetFree;
    private readonly Func<int, bool> _deleteFromTable;
    private int _localFreeCount;
    private int _nextInactiveRotation;

    /// <param name="nodes">The nodes of the list that CPU 0 uses.</param>
    /// <param name="totalElements">All preallocated elements (for the common LRU's <c>target_free</c>).</param>
    /// <param name="possibleCpus">The possible CPUs.</param>
    /// <param name="perCpu">Whether this is a per-CPU LRU (<see cref="BpfMapFlags.NoCommonLru"/>).</param>
    /// <param name="deleteFromTable">Unlinks a node's element from the hash table; false when it is not linked.</param>
    public LruList(int nodes, int totalElements, int possibleCpus, bool perCpu, Func<int, bool> deleteFromTable)
    {
        _nodes = nodes;
        // Sentinels follow the nodes: the three lists, the local pending list, a scratch list.
        int count = nodes + 5;
        _prev = new int[count];
        _next = new int[count];
        for (int i = nodes; i < count; i++)
        {
            _prev[i] = _next[i] = i;
        }

        _type = new byte[nodes];
        _ref = new bool[nodes];
        _pendingHead = nodes + 3;
        _tmpHead = nodes + 4;
        _localFree = new int[nodes];
        _perCpu = perCpu;
        _deleteFromTable = deleteFromTable;
        _nrScans = perCpu ? PerCpuFreeTarget : LocalFreeTarget;
        _targetFree = Math.Clamp(totalElements / possibleCpus / 2, 1, LocalFreeTarget);
        _nextInactiveRotation = Head(Inactive);

        // Populate: every node free. Free nodes are interchangeable; adding the highest first
        // leaves node 0 at the head, so that slots are used from 0 up.
        for (int node = nodes - 1; node >= 0; node--)
        {
            _type[node] = Free;
            ListAdd(node, Head(Free));
        }
    }

    /// <summary><c>bpf_lru_pop_free</c>: a free node for a new element, evicting old elements if needed; -1 when none.</summary>
    public int PopFree() => _perCpu ? PerCpuPopFree() : CommonPopFree();

    /// <summary><c>bpf_lru_push_free</c>: gives back the node of a deleted or replaced element.</summary>
    public void PushFree(int node)
    {
        if (!_perCpu && _type[node] == LocalPending)
        {
            _type[node] = LocalFree;
            _ref[node] = false;
            ListDel(node);
            _localFree[_localFreeCount++] = node;
            return;
        }

        Move(node, Free);
    }

    /// <summary><c>bpf_lru_node_set_ref</c>.</summary>
    public void SetRef(int node) => _ref[node] = true;

    private int Head(byte list) => _nodes + list;

    private int CommonPopFree()
    {
        int node = PopLocalFree();
        if (node < 0)
        {
            PopFreeToLocal();
            node = PopLocalFree();
        }

        if (node < 0)
        {
            // Steal from CPU 0's own local lists (the only ones in use): free first, then the
            // oldest pending node, preferring those without the reference bit.
            node = PopLocalFree();
            if (node < 0)
            {
                node = PopLocalPending();
            }

            if (node < 0)
            {
                return -1;
            }
        }

        AddLocalPending(node);
        return node;
    }

    private int PerCpuPopFree()
    {
        Rotate();
        if (IsEmpty(Head(Free)))
        {
            Shrink(PerCpuFreeTarget, Head(Free), Free);
        }

        if (IsEmpty(Head(Free)))
        {
            return -1;
        }

        int node = _next[Head(Free)];
        _ref[node] = false;
        Move(node, Inactive);
        return node;
    }

    private int PopLocalFree() => _localFreeCount == 0 ? -1 : _localFree[--_localFreeCount];

    private void AddLocalPending(int node)
    {
        _type[node] = LocalPending;
        _ref[node] = false;
        ListAdd(node, _pendingHead);
    }

    /// <summary><c>__local_list_pop_pending</c>: from the tail, first without the reference bit, then any.</summary>
    private int PopLocalPending()
    {
        for (int pass = 0; pass < 2; pass++)
        {
            for (int node = _prev[_pendingHead]; node != _pendingHead; node = _prev[node])
            {
                if ((!_ref[node] || pass == 1) && _deleteFromTable(node))
                {
                    ListDel(node);
                    return node;
                }
            }
        }

        return -1;
    }

    /// <summary><c>bpf_lru_list_pop_free_to_local</c>.</summary>
    private void PopFreeToLocal()
    {
        LocalListFlush();
        Rotate();

        int freed = 0;
        for (int node = _next[Head(Free)]; node != Head(Free) && freed < _targetFree;)
        {
            int next = _next[node];
            MoveToFree(node, _tmpHead, LocalFree);
            freed++;
            node = next;
        }

        if (freed < _targetFree)
        {
            Shrink(_targetFree - freed, _tmpHead, LocalFree);
        }

        // llist_add pushes each harvested node in turn; the last pushed is popped first.
        for (int node = _next[_tmpHead]; node != _tmpHead;)
        {
            int next = _next[node];
            ListDel(node);
            _localFree[_localFreeCount++] = node;
            node = next;
        }
    }

    /// <summary><c>__local_list_flush</c>: pending nodes join the global lists, oldest first.</summary>
    private void LocalListFlush()
    {
        for (int node = _prev[_pendingHead]; node != _pendingHead;)
        {
            int prev = _prev[node];
            MoveIn(node, _ref[node] ? Active : Inactive);
            node = prev;
        }
    }

    /// <summary><c>__bpf_lru_list_rotate</c>.</summary>
    private void Rotate()
    {
        if (_counts[Inactive] < _counts[Active])
        {
            RotateActive();
        }

        RotateInactive();
    }

    private void RotateActive()
    {
        int head = Head(Active);
        int first = _next[head];
        int scanned = 0;
        for (int node = _prev[head]; node != head;)
        {
            int prev = _prev[node];
            Move(node, _ref[node] ? Active : Inactive);
            if (++scanned == _nrScans || node == first)
            {
                break;
            }

            node = prev;
        }
    }

    private void RotateInactive()
    {
        int inactive = Head(Inactive);
        if (IsEmpty(inactive))
        {
            return;
        }

        int last = _next[_nextInactiveRotation];
        if (last == inactive)
        {
            last = _next[last];
        }

        int cur = _nextInactiveRotation;
        int next = inactive;
        int scanned = 0;
        while (scanned < _nrScans)
        {
            if (cur == inactive)
            {
                cur = _prev[cur];
                continue;
            }

            next = _prev[cur];
            if (_ref[cur])
            {
                Move(cur, Active);
            }

            if (cur == last)
            {
                break;
            }

            cur = next;
            scanned++;
        }

        _nextInactiveRotation = next;
    }

    /// <summary><c>__bpf_lru_list_shrink</c>: evicts up to <paramref name="target"/> inactive elements, else forces one out.</summary>
    private int Shrink(int target, int freeList, byte freeType)
    {
        int shrunk = ShrinkInactive(target, freeList, freeType);
        if (shrunk != 0)
        {
            return shrunk;
        }

        int forced = IsEmpty(Head(Inactive)) ? Head(Active) : Head(Inactive);
        for (int node = _prev[forced]; node != forced;)
        {
            int prev = _prev[node];
            if (_deleteFromTable(node))
            {
                MoveToFree(node, freeList, freeType);
                return 1;
            }

            node = prev;
        }

        return 0;
    }

    private int ShrinkInactive(int target, int freeList, byte freeType)
    {
        int inactive = Head(Inactive);
        int shrunk = 0;
        int scanned = 0;
        for (int node = _prev[inactive]; node != inactive;)
        {
            int prev = _prev[node];
            if (_ref[node])
            {
                Move(node, Active);
            }
            else if (_deleteFromTable(node))
            {
                MoveToFree(node, freeList, freeType);
                if (++shrunk == target)
                {
                    break;
                }
            }

            if (++scanned == _nrScans)
            {
                break;
            }

            node = prev;
        }

        return shrunk;
    }

    private void MoveToFree(int node, int freeList, byte freeType)
    {
        if (node == _nextInactiveRotation)
        {
            _nextInactiveRotation = _prev[node];
        }

        DecrementCount(_type[node]);
        _type[node] = freeType;
        ListMove(node, freeList);
    }

    private void MoveIn(int node, byte list)
    {
        IncrementCount(list);
        _type[node] = list;
        _ref[node] = false;
        ListMove(node, Head(list));
    }

    private void Move(int node, byte list)
    {
        if (_type[node] != list)
        {
            DecrementCount(_type[node]);
            IncrementCount(list);
            _type[node] = list;
        }

        _ref[node] = false;
        if (node == _nextInactiveRotation)
        {
            _nextInactiveRotation = _prev[node];
        }

        ListMove(node, Head(list));
    }

    private void IncrementCount(byte list)
    {
        if (list <= Inactive)
        {
            _counts[list]++;
        }
    }

    private void DecrementCount(byte list)
    {
        if (list <= Inactive)
        {
            _counts[list]--;
        }
    }

    private bool IsEmpty(int head) => _next[head] == head;

    private void ListAdd(int node, int head)
    {
        int first = _next[head];
        _next[node] = first;
        _prev[node] = head;
        _prev[first] = node;
        _next[head] = node;
    }

    private void ListDel(int node)
    {
        _next[_prev[node]] = _next[node];
        _prev[_next[node]] = _prev[node];
        _prev[node] = _next[node] = node;
    }

    private void ListMove(int node, int head)
    {
        ListDel(node);
        ListAdd(node, head);
    }
}
