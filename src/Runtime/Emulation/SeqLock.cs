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
/// consistent.
/// </remarks>
internal sealed class SeqLock
{
    private readonly Lock _writer = new();
    private int _sequence;

    /// <summary>Starts a read section; waits while a writer is active.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int BeginRead()
    {
        int sequence = Volatile.Read(ref _sequence);
        return (sequence & 1) == 0 ? sequence : WaitForWriter();
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
        // Only writers change the sequence, and they hold the lock: a plain increment suffices.
        // The write barrier (the kernel's write_seqcount_begin: increment, smp_wmb) makes the odd
        // sequence visible before any data store of the writer; on x86 it costs nothing, unlike
        // the locked instruction of an interlocked increment.
        Volatile.Write(ref _sequence, _sequence + 1);
        Volatile.WriteBarrier();
    }

    public void ExitWrite()
    {
        // Release: every data store is visible before the even sequence.
        Volatile.Write(ref _sequence, _sequence + 1);
        _writer.Exit();
    }

    /// <summary>Whether the current thread is in the write section.</summary>
    public bool IsWriting => _writer.IsHeldByCurrentThread;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private int WaitForWriter()
    {
        var spinner = default(SpinWait);
        int sequence;
        while (((sequence = Volatile.Read(ref _sequence)) & 1) != 0)
        {
            spinner.SpinOnce();
        }

        return sequence;
    }
}
