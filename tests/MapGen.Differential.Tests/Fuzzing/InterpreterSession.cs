namespace MapGen.Differential.Tests.Model;

/// <summary>
/// The interpreter one step at a time, for the fuzzer: it runs two sessions in lockstep and
/// chooses each step after seeing the results of the previous ones, so the scenario cannot be
/// written up front. Results are recorded exactly as <see cref="Run"/> records them.
/// </summary>
public sealed partial class Interpreter
{
    /// <summary>Starts a run of steps given one by one; disposing the session closes every handle it opened.</summary>
    internal Session Begin() => new(this);

    internal sealed class Session : IDisposable
    {
        private readonly RunState _run;
        private bool _disposed;

        public Session(Interpreter owner)
        {
            _run = new RunState(owner, 0);
        }

        /// <summary>Runs <paramref name="step"/>; <paramref name="handleSlots"/> is at least one more than the largest handle index it names.</summary>
        public TranscriptEntry Execute(ScenarioStep step, int handleSlots)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _run.EnsureHandleSlots(handleSlots);
            return ExecuteRecordingThrows(_run, step);
        }

        /// <summary>The open handle in <paramref name="handle"/>'s slot, or null (never opened, refused, or closed).</summary>
        public BpfMap? Open(Handle handle) => _run.Open(handle);

        public void Dispose()
        {
            if (!_disposed)
            {
                _disposed = true;
                _run.CloseAll();
            }
        }
    }

    private sealed partial class RunState
    {
        public void EnsureHandleSlots(int count)
        {
            if (count > _handles.Length)
            {
                int size = Math.Max(count, _handles.Length * 2);
                Array.Resize(ref _handles, size);
                Array.Resize(ref _ids, size);
            }
        }

        public BpfMap? Open(Handle handle) =>
            handle.Index < _handles.Length && _handles[handle.Index] is { IsDisposed: false } map ? map : null;
    }
}
