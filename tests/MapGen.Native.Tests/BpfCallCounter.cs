using MapGen.Native;

namespace MapGen.Native.Tests;

/// <summary>
/// Counts the <c>bpf(2)</c> calls that the creating thread makes, by command, while it lives
/// (through <see cref="BpfSyscall.CallObserver"/>). Counting allocates nothing. The hook is one
/// per process: tests that count run in the <see cref="FdCounting"/> collection, alone.
/// </summary>
internal sealed class BpfCallCounter : IDisposable
{
    private readonly int _thread = Environment.CurrentManagedThreadId;
    private readonly int[] _counts = new int[Enum.GetValues<BpfCommand>().Max(c => (int)c) + 1];
    private readonly Action<BpfCommand> _observer;

    public BpfCallCounter()
    {
        _observer = Observe;
        Assert.Null(BpfSyscall.CallObserver);
        BpfSyscall.CallObserver = _observer;
    }

    /// <summary>How many calls of <paramref name="command"/> were counted.</summary>
    public int this[BpfCommand command] => _counts[(int)command];

    /// <summary>How many calls were counted, of every command.</summary>
    public int Total => _counts.Sum();

    /// <summary>Starts counting from zero again.</summary>
    public void Reset() => Array.Clear(_counts);

    /// <summary>The counted commands, for messages: <c>MapLookupElem 3, MapGetFdById 1</c>.</summary>
    public override string ToString() =>
        string.Join(", ", Enum.GetValues<BpfCommand>().Where(c => this[c] != 0).Select(c => $"{c} {this[c]}")) is { Length: > 0 } counted
            ? counted
            : "no calls";

    public void Dispose()
    {
        if (ReferenceEquals(BpfSyscall.CallObserver, _observer))
        {
            BpfSyscall.CallObserver = null;
        }
    }

    private void Observe(BpfCommand command)
    {
        if (Environment.CurrentManagedThreadId == _thread)
        {
            _counts[(int)command]++;
        }
    }
}
