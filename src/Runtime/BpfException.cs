using System;
using System.Collections.Generic;
using System.Linq;

namespace MapGen;

/// <summary>
/// A map operation that the kernel (or the emulated runtime, the way the kernel would) refused,
/// with the kernel's error number.
/// </summary>
public class BpfException : Exception
{
    /// <summary>Creates an exception for a refused operation.</summary>
    /// <param name="errno">The kernel's error number.</param>
    /// <param name="operation">What was attempted, such as <c>update</c>.</param>
    /// <param name="mapName">The map's name, or <see langword="null"/> when there is none yet.</param>
    public BpfException(BpfErrno errno, string operation, string? mapName)
        : this(errno, operation, mapName, hint: null)
    {
    }

    /// <summary>Creates an exception for a refused operation, with a hint on what to do.</summary>
    public BpfException(BpfErrno errno, string operation, string? mapName, string? hint)
        : base(FormatMessage(errno, operation, mapName, hint))
    {
        Errno = errno;
        Operation = operation;
        MapName = mapName;
    }

    /// <summary>Creates an exception with a message of its own.</summary>
    public BpfException(BpfErrno errno, string message)
        : base(message)
    {
        Errno = errno;
        Operation = string.Empty;
    }

    /// <inheritdoc />
    public BpfException()
        : this(BpfErrno.None, "unknown operation", null)
    {
    }

    /// <inheritdoc />
    public BpfException(string message)
        : base(message)
    {
        Operation = string.Empty;
    }

    /// <inheritdoc />
    public BpfException(string message, Exception innerException)
        : base(message, innerException)
    {
        Operation = string.Empty;
    }

    /// <summary>The kernel's error number.</summary>
    public BpfErrno Errno { get; }

    /// <summary>What was attempted, such as <c>update</c> or <c>create</c>.</summary>
    public string Operation { get; }

    /// <summary>The map's name, when known.</summary>
    public string? MapName { get; }

    private static string FormatMessage(BpfErrno errno, string operation, string? mapName, string? hint)
    {
        string subject = mapName is null ? $"BPF {operation}" : $"BPF {operation} on map '{mapName}'";
        string message = $"{subject} failed: {BpfErrnoText.Describe(errno)}.";
        return hint is null ? message : $"{message} {hint}";
    }
}

/// <summary>
/// A batch operation (<c>UpdateBatch</c>, <c>DeleteBatch</c>) that the kernel refused part-way:
/// the element at <see cref="Processed"/> failed with <see cref="BpfException.Errno"/>, those
/// before it were handled (<see cref="Succeeded"/> of them took effect: written or deleted; a
/// <c>DeleteBatch</c> passes over absent keys), the rest were not attempted.
/// </summary>
public class BpfBatchException : BpfException
{
    /// <summary>Creates the exception for a batch that stopped at element <paramref name="processed"/> of <paramref name="count"/>.</summary>
    public BpfBatchException(BpfErrno errno, string operation, string mapName, int processed, int succeeded, int count, string? hint)
        : base(errno, $"{operation} (element {processed} of {count}; {succeeded} before it took effect)", mapName, hint)
    {
        Processed = processed;
        Succeeded = succeeded;
        Count = count;
    }

    /// <inheritdoc />
    public BpfBatchException()
    {
    }

    /// <inheritdoc />
    public BpfBatchException(string message)
        : base(message)
    {
    }

    /// <inheritdoc />
    public BpfBatchException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The index of the element that failed: every element before it was handled.</summary>
    public int Processed { get; }

    /// <summary>How many elements before the failure took effect (written, or deleted).</summary>
    public int Succeeded { get; }

    /// <summary>How many elements the batch had.</summary>
    public int Count { get; }
}

/// <summary>
/// A drain (<c>Drain()</c>) that the kernel stopped part-way. The elements it had already taken
/// out of the map are in <see cref="Taken"/>: they are no longer in the map, so they are not lost.
/// </summary>
/// <typeparam name="TKey">The map's key type.</typeparam>
/// <typeparam name="TValue">The map's value type (an array of per-CPU values for per-CPU maps).</typeparam>
public class BpfDrainException<TKey, TValue> : BpfException
{
    /// <summary>Creates the exception for a drain that took <paramref name="taken"/> before the kernel refused with <paramref name="errno"/>.</summary>
    public BpfDrainException(BpfErrno errno, string mapName, KeyValuePair<TKey, TValue>[] taken)
        : base(errno, $"drain (lookup and delete; {taken?.Length ?? 0} elements taken before the failure, in Taken)", mapName, hint: null)
    {
        ArgumentNullException.ThrowIfNull(taken);
        Taken = taken;
    }

    /// <summary>Creates the exception for a drain stopped by <paramref name="innerException"/> (the handle disposed meanwhile, say) after it took <paramref name="taken"/>.</summary>
    public BpfDrainException(string mapName, KeyValuePair<TKey, TValue>[] taken, Exception innerException)
        : base($"The drain of map '{mapName}' stopped after taking {taken?.Length ?? 0} elements (they are in Taken): {innerException?.Message}", innerException!)
    {
        ArgumentNullException.ThrowIfNull(taken);
        Taken = taken;
    }

    /// <inheritdoc />
    public BpfDrainException()
    {
        Taken = [];
    }

    /// <inheritdoc />
    public BpfDrainException(string message)
        : base(message)
    {
        Taken = [];
    }

    /// <inheritdoc />
    public BpfDrainException(string message, Exception innerException)
        : base(message, innerException)
    {
        Taken = [];
    }

    /// <summary>The elements taken out of the map before the failure, in kernel order.</summary>
    public IReadOnlyList<KeyValuePair<TKey, TValue>> Taken { get; }
}

/// <summary>
/// An existing map does not match the declaration it is opened as, or an inner map does not fit
/// the outer map's inner definition. <see cref="Mismatches"/> names every field that differs.
/// </summary>
public class BpfMapMismatchException : BpfException
{
    /// <summary>Creates the exception for the fields that differ.</summary>
    public BpfMapMismatchException(string mapName, string context, IReadOnlyList<BpfMapFieldMismatch> mismatches)
        : base(BpfErrno.EINVAL, FormatMessage(mapName, context, mismatches))
    {
        ArgumentNullException.ThrowIfNull(mismatches);
        DeclaredMapName = mapName;
        Mismatches = mismatches;
    }

    /// <inheritdoc />
    public BpfMapMismatchException()
        : this("?", "the map", System.Array.Empty<BpfMapFieldMismatch>())
    {
    }

    /// <inheritdoc />
    public BpfMapMismatchException(string message)
        : base(message)
    {
        DeclaredMapName = string.Empty;
        Mismatches = System.Array.Empty<BpfMapFieldMismatch>();
    }

    /// <inheritdoc />
    public BpfMapMismatchException(string message, Exception innerException)
        : base(message, innerException)
    {
        DeclaredMapName = string.Empty;
        Mismatches = System.Array.Empty<BpfMapFieldMismatch>();
    }

    /// <summary>The name of the declaration the map was checked against.</summary>
    public string DeclaredMapName { get; }

    /// <summary>Every field that differs, with its expected and actual value.</summary>
    public IReadOnlyList<BpfMapFieldMismatch> Mismatches { get; }

    private static string FormatMessage(string mapName, string context, IReadOnlyList<BpfMapFieldMismatch> mismatches)
    {
        string fields = string.Join("; ", mismatches.Select(m => m.ToString()));
        return $"{context} does not match the declaration of '{mapName}': {fields}.";
    }
}

/// <summary>One field of a map that differs from its declaration.</summary>
/// <param name="Field">The field: <c>Type</c>, <c>KeySize</c>, <c>ValueSize</c>, <c>MaxEntries</c> or <c>Flags</c>.</param>
/// <param name="Expected">The declared value.</param>
/// <param name="Actual">The map's value.</param>
public sealed record BpfMapFieldMismatch(string Field, string Expected, string Actual)
{
    /// <inheritdoc />
    public override string ToString() => $"{Field} is {Actual}, expected {Expected}";
}
