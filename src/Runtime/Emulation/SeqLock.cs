using System.Runtime.CompilerServices;
using System.Threading;

namespace MapGen.Emulation;

/// <summary>
/// A sequence lock: writers take a lock and make the sequence odd while they change the data;
/// readers take no lock, copy what they need and retry when the sequence moved meanwhile. A
/// lookup so costs two reads of the sequence instead of a lock, and never sees half an update.
/// </summary>
/// <remarks>
/// Readers may see torn or stale data inside a read section and must only copy it and check
/// indexes against array bounds; they act on nothing until <see cref="Retry"/> says the copy is
/// consistent. Not sealed: <see cref="HashTable"/> is its own lock, so that a lookup reads the
/// sequence from the object it already holds.
/// </remarks>
internal class SeqLock
{
    /// <summary>Set while a writer is in its write section.</summary>
    private const int Writing = 1;

    /// <summary>Set once the data is gone for good (the runtime was disposed); never cleared.</summary>
    private const int Dead = 2;

    /// <summary>What one write section adds: the sequence counts in the bits above the flags.</summary>
    private const int Step = 4;

    private readonly Lock _writer = new();
    private int _sequence;

    /// <summary>Starts a read section; waits while a writer is active.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int BeginRead()
    {
        int sequence = Volatile.Read(ref _sequence);
        return (sequence & Writing) == 0 ? sequence : WaitForWriter();
    }

    /// <summary>
    /// The sequence, for a reader that starts its section itself (the typed fast path): it may
    /// read when <see cref="NotReadable"/> is clear, else it calls <see cref="WaitReadable"/>.
    /// One test then covers both an active writer and a disposed runtime.
    /// </summary>
    public int Sequence
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Volatile.Read(ref _sequence);
    }

    /// <summary>The bits of <see cref="Sequence"/> that forbid reading now (a writer) or ever (<see cref="MarkDead"/>).</summary>
    public const int NotReadable = Writing | Dead;

    /// <summary>Waits for an active writer to leave; the sequence to read under, or -1 once <see cref="MarkDead"/> was called.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public int WaitReadable()
    {
        int sequence = WaitForWriter();
        return (sequence & Dead) == 0 ? sequence : -1;
    }

    /// <summary>Whether the data read since <see cref="BeginRead"/> may be inconsistent and must be read again.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Retry(int sequence)
    {
        // The data reads must complete before the sequence is read again.
        Volatile.ReadBarrier();
        return Volatile.Read(ref _sequence) != sequence;
    }

    /// <summary>Enters the write section: excludes other writers and invalidates running reads.</summary>
    public void EnterWrite()
    {
        _writer.Enter();
        // Only writers change the sequence, and they hold the lock: a plain store suffices. The
        // write barrier (the kernel's write_seqcount_begin: increment, smp_wmb) makes the odd
        // sequence visible before any data store of the writer; on x86 it costs nothing, unlike
        // the locked instruction of an interlocked increment.
        Volatile.Write(ref _sequence, _sequence + Writing);
        Volatile.WriteBarrier();
    }

    public void ExitWrite()
    {
        // Clears Writing and counts one more section, keeping Dead. Release: every data store is
        // visible before the new sequence.
        Volatile.Write(ref _sequence, _sequence + (Step - Writing));
        _writer.Exit();
    }

    /// <summary>Marks the data as gone: <see cref="WaitReadable"/> fails from now on (other reads and writes go on).</summary>
    public void MarkDead()
    {
        _writer.Enter();
        Volatile.Write(ref _sequence, _sequence | Dead);
        _writer.Exit();
    }

    /// <summary>Whether the current thread is in the write section.</summary>
    public bool IsWriting => _writer.IsHeldByCurrentThread;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private int WaitForWriter()
    {
        var spinner = default(SpinWait);
        int sequence;
        while (((sequence = Volatile.Read(ref _sequence)) & Writing) != 0)
        {
            spinner.SpinOnce();
        }

        return sequence;
    }
}
