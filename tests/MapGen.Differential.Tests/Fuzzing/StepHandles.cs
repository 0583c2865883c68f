using MapGen.Differential.Tests.Model;

namespace MapGen.Differential.Tests.Fuzzing;

/// <summary>The handle slots a step names: the one it operates on, the ones whose fds it passes, the one it fills.</summary>
internal static class StepHandles
{
    /// <summary>The handle the step operates on (element operations, close, pin, duplicate), if any.</summary>
    public static Handle? Target(ScenarioStep step) => step switch
    {
        LookupStep s => s.Map,
        UpdateStep s => s.Map,
        DeleteStep s => s.Map,
        NextKeyStep s => s.Map,
        WalkStep s => s.Map,
        EnumerateStep s => s.Map,
        UpdateBatchStep s => s.Map,
        CloseStep s => s.Map,
        PinStep s => s.Map,
        UnpinStep s => s.Map,
        DuplicateStep s => s.Map,
        LruFillStep s => s.Map,
        LookupAndDeleteStep s => s.Map,
        DeleteBatchStep s => s.Map,
        DrainStep s => s.Map,
        ViewStep s => s.Map,
        _ => null,
    };

    /// <summary>The handle slot the step fills with a new handle, if any.</summary>
    public static Handle? Result(ScenarioStep step) => step switch
    {
        CreateStep { KeepOpen: true } s => s.Result,
        OpenByIdStep s => s.Result,
        OpenPinnedStep s => s.Result,
        DuplicateStep s => s.Result,
        _ => null,
    };

    /// <summary>Every handle the step names, in any role.</summary>
    public static IEnumerable<Handle> All(ScenarioStep step)
    {
        if (Target(step) is { } target)
        {
            yield return target;
        }

        if (Result(step) is { } result)
        {
            yield return result;
        }

        switch (step)
        {
            case CreateStep create:
                if (create.Inner is { } inner)
                {
                    yield return inner;
                }

                if (create.BtfOf is { } btf)
                {
                    yield return btf;
                }

                break;
            case UpdateStep { Value: FdVal fd }:
                yield return fd.Handle;
                break;
            case UpdateBatchStep batch:
                foreach (Val value in batch.Values)
                {
                    if (value is FdVal batchFd)
                    {
                        yield return batchFd.Handle;
                    }
                }

                break;
            case OpenByIdStep { Of: { } of }:
                yield return of;
                break;
        }
    }

    /// <summary>One more than the largest handle index the step names (the slots a session needs for it).</summary>
    public static int SlotsNeeded(ScenarioStep step)
    {
        int slots = 0;
        foreach (Handle handle in All(step))
        {
            slots = Math.Max(slots, handle.Index + 1);
        }

        return slots;
    }
}
