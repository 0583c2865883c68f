using System.Buffers.Binary;
using System.Globalization;

namespace MapGen.Differential.Tests.Model;

/// <summary>
/// A handle slot of a scenario: the Nth handle-producing step (create, open by ID, open pinned,
/// duplicate). Steps refer to handles by slot so that one scenario runs unchanged on any runtime;
/// a slot whose step failed holds no handle, and steps using it record that.
/// </summary>
public readonly record struct Handle(int Index)
{
    public override string ToString() => "h" + Index.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A value operand: raw bytes, or something the interpreter resolves in the run (a handle's fd, a pattern sized to the map).</summary>
public abstract record Val
{
    /// <summary>These exact bytes.</summary>
    public static Val Bytes(params byte[] bytes) => new RawVal(bytes);

    /// <summary>The 4-byte fd of a handle of this run (what an outer map or a program array takes).</summary>
    public static Val FdOf(Handle handle) => new FdVal(handle);

    /// <summary>A 4-byte fd number given literally (bad fds, the standard streams).</summary>
    public static Val Fd(int fd) => new RawVal(Scenario.I32(fd));

    /// <summary>
    /// Deterministic bytes filling the map's whole user value (<see cref="BpfMap.UserValueSize"/>),
    /// padding included: per-CPU values are <c>round_up(value_size, 8)</c> × possible CPUs long.
    /// </summary>
    public static Val Pattern(byte seed) => new PatternVal(seed);

    public static implicit operator Val(byte[] bytes) => new RawVal(bytes);
}

internal sealed record RawVal(byte[] Value) : Val
{
    public override string ToString() => Convert.ToHexStringLower(Value);
}

internal sealed record FdVal(Handle Handle) : Val
{
    public override string ToString() => $"fd({Handle})";
}

internal sealed record PatternVal(byte Seed) : Val
{
    public override string ToString() => $"pattern({Seed.ToString(CultureInfo.InvariantCulture)})";

    public static byte[] Fill(byte seed, int length)
    {
        byte[] bytes = new byte[length];
        for (int i = 0; i < bytes.Length; i++)
        {
            bytes[i] = unchecked((byte)((seed * 37) + (i * 13) + 1));
        }

        return bytes;
    }
}

/// <summary>
/// A scenario: a named sequence of raw operations run by <see cref="Interpreter"/> against a
/// <see cref="BpfRuntime"/>. Every step that the kernel answers with an errno carries the errno
/// observed on Linux 6.18, asserted on every runtime; some also carry the expected output.
/// </summary>
public sealed class Scenario
{
    private readonly List<ScenarioStep> _steps = [];
    private int _handles;

    public Scenario(string name, string rule)
    {
        Name = name;
        Rule = rule;
    }

    /// <summary>A unique name (the theory case).</summary>
    public string Name { get; }

    /// <summary>What the scenario checks: the SPEC section 3 rule, or the divergence it guards against.</summary>
    public string Rule { get; }

    public IReadOnlyList<ScenarioStep> Steps => _steps;

    public int HandleCount => _handles;

    public override string ToString() => Name;

    // ---- operand helpers -------------------------------------------------------------------

    public static byte[] U32(uint value)
    {
        byte[] bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return bytes;
    }

    public static byte[] I32(int value)
    {
        byte[] bytes = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        return bytes;
    }

    public static byte[] U64(ulong value)
    {
        byte[] bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        return bytes;
    }

    /// <summary>Concatenates byte arrays (a devmap value: ifindex then program fd).</summary>
    public static byte[] Cat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    /// <summary><paramref name="length"/> bytes derived from <paramref name="seed"/> (keys of any size).</summary>
    public static byte[] Fill(int length, byte seed) => PatternVal.Fill(seed, length);

    // ---- steps -------------------------------------------------------------------------------

    /// <summary><c>BPF_MAP_CREATE</c>; the new handle goes to the next slot (empty if refused).</summary>
    public Handle Create(BpfMapType type, uint keySize, uint valueSize, uint maxEntries, BpfMapFlags flags = BpfMapFlags.None,
        Handle? inner = null, int? innerFd = null, string? name = null, uint numaNode = 0, BpfErrno expect = BpfErrno.None)
    {
        var options = new BpfMapCreateOptions
        {
            Type = type, KeySize = keySize, ValueSize = valueSize, MaxEntries = maxEntries, Flags = flags, NumaNode = numaNode, Name = name,
            InnerMapFd = innerFd ?? 0,
        };
        Handle handle = NextHandle();
        Add(new CreateStep(options, inner, handle, KeepOpen: true) { Expect = expect });
        return handle;
    }

    /// <summary>
    /// <c>BPF_MAP_CREATE</c> with BTF attributes, closed at once: the type ids, and the BTF fd given
    /// literally or as the fd of a handle (a map, which is no BTF object).
    /// </summary>
    public void TryCreateWithBtf(BpfMapType type, uint keySize, uint valueSize, uint maxEntries, uint btfKeyTypeId, uint btfValueTypeId,
        int btfFd = 0, Handle? btfOf = null, string? name = null, BpfErrno expect = BpfErrno.None)
    {
        var options = new BpfMapCreateOptions
        {
            Type = type, KeySize = keySize, ValueSize = valueSize, MaxEntries = maxEntries, Name = name,
            BtfKeyTypeId = btfKeyTypeId, BtfValueTypeId = btfValueTypeId, BtfFd = btfFd,
        };
        Add(new CreateStep(options, null, null, KeepOpen: false) { Expect = expect, BtfOf = btfOf });
    }

    /// <summary><c>BPF_MAP_CREATE</c> whose map (if any) is closed at once: for creation checks.</summary>
    public void TryCreate(BpfMapType type, uint keySize, uint valueSize, uint maxEntries, BpfMapFlags flags = BpfMapFlags.None,
        Handle? inner = null, int? innerFd = null, string? name = null, uint numaNode = 0, BpfErrno expect = BpfErrno.None)
    {
        var options = new BpfMapCreateOptions
        {
            Type = type, KeySize = keySize, ValueSize = valueSize, MaxEntries = maxEntries, Flags = flags, NumaNode = numaNode, Name = name,
            InnerMapFd = innerFd ?? 0,
        };
        Add(new CreateStep(options, inner, null, KeepOpen: false) { Expect = expect });
    }

    public void Lookup(Handle map, byte[] key, BpfErrno? expect, string? value = null) =>
        Add(new LookupStep(map, key) { Expect = expect, ExpectOutput = value });

    public void Update(Handle map, byte[] key, Val value, BpfUpdateFlags flags, BpfErrno? expect) =>
        Add(new UpdateStep(map, key, value, flags) { Expect = expect });

    public void Update(Handle map, byte[] key, Val value, BpfErrno? expect) => Update(map, key, value, BpfUpdateFlags.Any, expect);

    public void Delete(Handle map, byte[] key, BpfErrno? expect) => Add(new DeleteStep(map, key) { Expect = expect });

    /// <summary>Expects the previous step to throw <paramref name="exception"/> (a type name) instead of answering with an errno.</summary>
    public void Throws(string exception)
    {
        ScenarioStep last = _steps[^1];
        _steps[^1] = last with { Expect = null, ExpectOutput = "threw " + exception };
    }

    /// <summary>
    /// One <c>get_next_key</c> from <paramref name="key"/> (null: the first key). On hash-like maps
    /// the key given back depends on the kernel's bucket order, so it is recorded only as being a
    /// key of the map or not; on array-like maps the key itself is recorded.
    /// </summary>
    public void NextKey(Handle map, byte[]? key, BpfErrno expect, string? next = null) =>
        Add(new NextKeyStep(map, key) { Expect = expect, ExpectOutput = next });

    /// <summary>
    /// The whole <c>get_next_key</c> walk from the first key: in order for array-like maps, as a
    /// set for hash-like ones. <paramref name="keys"/> pins the result (comma-separated hex, or
    /// the symbol names of IDs; sets sorted).
    /// </summary>
    public void Walk(Handle map, string? keys = null) => Add(new WalkStep(map, WithValues: false) { ExpectOutput = keys });

    /// <summary>
    /// The walk in the order <c>get_next_key</c> gives, even on a hash-like map: only where that
    /// order is deterministic, that is a hash with <see cref="BpfMapFlags.ZeroSeed"/> (buckets by
    /// jhash with seed 0) or a DevMapHash (buckets by the key itself). Checks the bucket order
    /// and the place of replaced elements in their bucket.
    /// </summary>
    public void WalkInKernelOrder(Handle map, string? keys = null) => Add(new WalkStep(map, WithValues: false, KernelOrder: true) { ExpectOutput = keys });

    /// <summary>The walk with each key's value (inner map IDs as symbols), as a set of <c>key=value</c>.</summary>
    public void Dump(Handle map, string? entries = null) => Add(new WalkStep(map, WithValues: true) { ExpectOutput = entries });

    /// <summary>
    /// The runtime's own enumeration of the elements (what the typed <c>Entries</c> uses: batched
    /// reads where the native backend has them, the <c>get_next_key</c> walk elsewhere), recorded
    /// like <see cref="Dump"/>.
    /// </summary>
    public void Enumerate(Handle map, string? entries = null) => Add(new EnumerateStep(map, WithValues: true) { ExpectOutput = entries });

    /// <summary>The runtime's own enumeration of the keys (the typed <c>Keys</c>), recorded like <see cref="Walk"/>.</summary>
    public void EnumerateKeys(Handle map, string? keys = null) => Add(new EnumerateStep(map, WithValues: false) { ExpectOutput = keys });

    /// <summary>
    /// <c>BPF_MAP_UPDATE_BATCH</c> as the runtime does it (<c>BpfMap.UpdateBatch</c>: one system
    /// call where the kernel has batches), recording the errno and how many elements were written.
    /// </summary>
    public void UpdateBatch(Handle map, byte[][] keys, Val[] values, BpfUpdateFlags flags, BpfErrno expect, int written) =>
        Add(new UpdateBatchStep(map, keys, values, flags)
        {
            Expect = expect,
            ExpectOutput = "written=" + written.ToString(CultureInfo.InvariantCulture),
        });

    /// <summary><c>BPF_MAP_LOOKUP_AND_DELETE_ELEM</c> (<see cref="BpfMap.TryLookupAndDelete"/>): the value it took, then the element is gone.</summary>
    public void LookupAndDelete(Handle map, byte[] key, BpfErrno expect, string? value = null) =>
        Add(new LookupAndDeleteStep(map, key) { Expect = expect, ExpectOutput = value });

    /// <summary>
    /// <c>BPF_MAP_DELETE_BATCH</c> as the runtime does it (<c>BpfMap.DeleteBatch</c>: one system
    /// call where the kernel has batches), recording the errno and how many keys were deleted.
    /// </summary>
    public void DeleteBatch(Handle map, byte[][] keys, BpfErrno expect, int deleted) =>
        Add(new DeleteBatchStep(map, keys)
        {
            Expect = expect,
            ExpectOutput = "deleted=" + deleted.ToString(CultureInfo.InvariantCulture),
        });

    /// <summary>
    /// The runtime's drain (<c>BpfMap.Drain</c>: <c>BPF_MAP_LOOKUP_AND_DELETE_BATCH</c> where the
    /// kernel has it), recording the errno and the elements taken as a set of <c>key=value</c>.
    /// </summary>
    public void Drain(Handle map, BpfErrno expect, string? entries = null) =>
        Add(new DrainStep(map) { Expect = expect, ExpectOutput = entries });

    /// <summary>Writes <paramref name="bytes"/> into value <paramref name="index"/> through a shared, writable mapping of the map (<c>mmap</c>).</summary>
    public void ViewWrite(Handle map, uint index, byte[] bytes, BpfErrno expect) =>
        Add(new ViewStep(map, index, bytes) { Expect = expect });

    /// <summary>Reads value <paramref name="index"/> through a shared, writable mapping of the map.</summary>
    public void ViewRead(Handle map, uint index, BpfErrno expect, string? value = null) =>
        Add(new ViewStep(map, index, null) { Expect = expect, ExpectOutput = value });

    /// <summary>Closes a handle (its fd); the map lives on while something else holds it.</summary>
    public void Close(Handle map) => Add(new CloseStep(map));

    /// <summary><c>BPF_MAP_GET_FD_BY_ID</c> with the ID that <paramref name="of"/>'s map had (even after it was closed).</summary>
    public Handle OpenById(Handle of, BpfErrno expect)
    {
        Handle handle = NextHandle();
        Add(new OpenByIdStep(of, null, handle) { Expect = expect });
        return handle;
    }

    /// <summary><c>BPF_MAP_GET_FD_BY_ID</c> with a literal ID (one no map has).</summary>
    public Handle OpenByRawId(uint id, BpfErrno expect)
    {
        Handle handle = NextHandle();
        Add(new OpenByIdStep(null, id, handle) { Expect = expect });
        return handle;
    }

    /// <summary><c>BPF_OBJ_PIN</c> at <paramref name="name"/> in the run's pin directory.</summary>
    public void Pin(Handle map, string name, BpfErrno? expect) => Add(new PinStep(map, name) { Expect = expect });

    /// <summary><c>BPF_OBJ_GET</c> of <paramref name="name"/> in the run's pin directory.</summary>
    public Handle OpenPinned(string name, BpfErrno expect)
    {
        Handle handle = NextHandle();
        Add(new OpenPinnedStep(name, handle) { Expect = expect });
        return handle;
    }

    /// <summary>Removes the pin <paramref name="name"/> through <paramref name="map"/> (<see cref="BpfMap.Unpin"/>).</summary>
    public void Unpin(Handle map, string name, BpfErrno expect) => Add(new UnpinStep(map, name) { Expect = expect });

    /// <summary>A second fd of the same open file (<see cref="BpfMap.Duplicate"/>).</summary>
    public Handle Duplicate(Handle map, BpfErrno? expect = BpfErrno.None)
    {
        Handle handle = NextHandle();
        Add(new DuplicateStep(map, handle) { Expect = expect });
        return handle;
    }

    /// <summary>
    /// Inserts <paramref name="count"/> sequential 4-byte keys from <paramref name="first"/> into an
    /// LRU map and records its invariants, not its entries: every insert succeeds (no
    /// <c>E2BIG</c>), the map never holds more than max entries, the newest key is present.
    /// </summary>
    public void LruFill(Handle map, uint first, uint count) => Add(new LruFillStep(map, first, count));

    private Handle NextHandle() => new(_handles++);

    private void Add(ScenarioStep step)
    {
        step.Number = _steps.Count + 1;
        _steps.Add(step);
    }
}

/// <summary>One operation of a scenario.</summary>
public abstract record ScenarioStep
{
    /// <summary>1-based position in the scenario.</summary>
    public int Number { get; set; }

    /// <summary>The errno observed on Linux 6.18; null for steps the kernel does not answer with one.</summary>
    public BpfErrno? Expect { get; init; }

    /// <summary>The output observed on Linux 6.18, where the scenario pins it.</summary>
    public string? ExpectOutput { get; init; }

    /// <summary>How the transcript names the operation.</summary>
    public abstract string Describe();

    protected static string Hex(byte[]? bytes) => bytes is null ? "-" : bytes.Length == 0 ? "<empty>" : Convert.ToHexStringLower(bytes);

    protected static string FormatFlags(BpfUpdateFlags flags) =>
        Enum.IsDefined(flags) ? flags.ToString() : ((ulong)flags).ToString(CultureInfo.InvariantCulture);
}

internal sealed record CreateStep(BpfMapCreateOptions Options, Handle? Inner, Handle? Result, bool KeepOpen) : ScenarioStep
{
    /// <summary>A handle whose fd goes into <c>btf_fd</c>.</summary>
    public Handle? BtfOf { get; init; }

    public override string Describe()
    {
        BpfMapCreateOptions o = Options;
        string inner = Inner is { } h ? $" inner=fd({h})" : o.InnerMapFd != 0 ? $" inner_fd={o.InnerMapFd.ToString(CultureInfo.InvariantCulture)}" : "";
        inner += BtfOf is { } b ? $" btf_fd=fd({b})" : o.BtfFd != 0 ? $" btf_fd={o.BtfFd.ToString(CultureInfo.InvariantCulture)}" : "";
        inner += o.BtfKeyTypeId != 0 || o.BtfValueTypeId != 0 ? $" btf_ids={o.BtfKeyTypeId.ToString(CultureInfo.InvariantCulture)}/{o.BtfValueTypeId.ToString(CultureInfo.InvariantCulture)}" : "";
        string numa = o.NumaNode != 0 ? $" numa={o.NumaNode.ToString(CultureInfo.InvariantCulture)}" : "";
        string name = o.Name is null ? "" : $" name=\"{Escape(o.Name)}\"";
        string target = Result is { } r ? $"{r} = " : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"{target}{(KeepOpen ? "create" : "try-create")} {o.Type} key={o.KeySize} value={o.ValueSize} max={o.MaxEntries} flags={o.Flags}{inner}{numa}{name}");
    }

    private static string Escape(string text) => text.Replace("\0", "\\0", StringComparison.Ordinal);
}

internal sealed record LookupStep(Handle Map, byte[] Key) : ScenarioStep
{
    public override string Describe() => $"lookup {Map} key={Hex(Key)}";
}

internal sealed record UpdateStep(Handle Map, byte[] Key, Val Value, BpfUpdateFlags Flags) : ScenarioStep
{
    public override string Describe() => $"update {Map} key={Hex(Key)} value={Value} flags={FormatFlags(Flags)}";
}

internal sealed record DeleteStep(Handle Map, byte[] Key) : ScenarioStep
{
    public override string Describe() => $"delete {Map} key={Hex(Key)}";
}

internal sealed record NextKeyStep(Handle Map, byte[]? Key) : ScenarioStep
{
    public override string Describe() => $"get_next_key {Map} key={(Key is null ? "<first>" : Hex(Key))}";
}

internal sealed record WalkStep(Handle Map, bool WithValues, bool KernelOrder = false) : ScenarioStep
{
    public override string Describe() => $"{(WithValues ? "dump" : KernelOrder ? "walk-in-kernel-order" : "walk")} {Map}";
}

internal sealed record EnumerateStep(Handle Map, bool WithValues) : ScenarioStep
{
    public override string Describe() => $"{(WithValues ? "enumerate-entries" : "enumerate-keys")} {Map}";
}

internal sealed record UpdateBatchStep(Handle Map, byte[][] Keys, Val[] Values, BpfUpdateFlags Flags) : ScenarioStep
{
    public override string Describe() =>
        $"update-batch {Map} keys={string.Join(',', Keys.Select(Hex))} values={string.Join(',', Values.Select(v => v.ToString()))} flags={FormatFlags(Flags)}";
}

internal sealed record LookupAndDeleteStep(Handle Map, byte[] Key) : ScenarioStep
{
    public override string Describe() => $"lookup-and-delete {Map} key={Hex(Key)}";
}

internal sealed record DeleteBatchStep(Handle Map, byte[][] Keys) : ScenarioStep
{
    public override string Describe() => $"delete-batch {Map} keys={string.Join(',', Keys.Select(Hex))}";
}

internal sealed record DrainStep(Handle Map) : ScenarioStep
{
    public override string Describe() => $"drain {Map}";
}

/// <summary>A read (no <see cref="Bytes"/>) or write of one value through the map's mapping.</summary>
internal sealed record ViewStep(Handle Map, uint Index, byte[]? Bytes) : ScenarioStep
{
    public override string Describe() =>
        Bytes is null ? $"view-read {Map} index={Index.ToString(CultureInfo.InvariantCulture)}" : $"view-write {Map} index={Index.ToString(CultureInfo.InvariantCulture)} value={Hex(Bytes)}";
}

internal sealed record CloseStep(Handle Map) : ScenarioStep
{
    public override string Describe() => $"close {Map}";
}

internal sealed record OpenByIdStep(Handle? Of, uint? RawId, Handle Result) : ScenarioStep
{
    public override string Describe() =>
        Of is { } of ? $"{Result} = open-by-id id({of})" : $"{Result} = open-by-id {RawId!.Value.ToString(CultureInfo.InvariantCulture)}";
}

internal sealed record PinStep(Handle Map, string Name) : ScenarioStep
{
    public override string Describe() => $"pin {Map} at {Name}";
}

internal sealed record OpenPinnedStep(string Name, Handle Result) : ScenarioStep
{
    public override string Describe() => $"{Result} = open-pinned {Name}";
}

internal sealed record UnpinStep(Handle Map, string Name) : ScenarioStep
{
    public override string Describe() => $"unpin {Map} at {Name}";
}

internal sealed record DuplicateStep(Handle Map, Handle Result) : ScenarioStep
{
    public override string Describe() => $"{Result} = duplicate {Map}";
}

internal sealed record LruFillStep(Handle Map, uint First, uint Count) : ScenarioStep
{
    public override string Describe() =>
        string.Create(CultureInfo.InvariantCulture, $"lru-fill {Map} keys {First}..{First + Count - 1}");
}
