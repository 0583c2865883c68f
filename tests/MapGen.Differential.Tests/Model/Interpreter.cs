using System.Buffers.Binary;
using System.Globalization;

namespace MapGen.Differential.Tests.Model;

/// <summary>
/// Runs scenarios against one runtime through the raw layer and writes what each step did into
/// a <see cref="Transcript"/>. IDs and fds become symbols (<c>I1</c>, <c>I2</c>, … in the order
/// the run first sees each ID; <c>F1</c>, <c>F2</c>, … for each fd handed out), so that the
/// emulated and the native run can be compared through a one-to-one mapping.
/// </summary>
public sealed partial class Interpreter
{
    private readonly BpfRuntime _runtime;
    private readonly string _pinDirectory;

    /// <param name="runtime">The runtime to run on; the caller owns it.</param>
    /// <param name="pinDirectory">An existing directory (native: in bpffs) for the run's pins, which pin names are relative to.</param>
    public Interpreter(BpfRuntime runtime, string pinDirectory)
    {
        _runtime = runtime;
        _pinDirectory = pinDirectory;
    }

    public string Name => _runtime.IsEmulated ? "emulated" : "native";

    /// <summary>Runs <paramref name="scenario"/>; every handle it opened is closed before this returns.</summary>
    public Transcript Run(Scenario scenario)
    {
        var run = new RunState(this, scenario.HandleCount);
        var entries = new List<TranscriptEntry>(scenario.Steps.Count);
        try
        {
            foreach (ScenarioStep step in scenario.Steps)
            {
                entries.Add(ExecuteRecordingThrows(run, step) with { Expected = step.Expect, ExpectedOutput = step.ExpectOutput });
            }
        }
        finally
        {
            run.CloseAll();
        }

        return new Transcript(scenario.Name, Name, entries);
    }

    /// <summary>Runs one step; an exception the runtime throws instead of answering with an errno is recorded as the step's result.</summary>
    private static TranscriptEntry ExecuteRecordingThrows(RunState run, ScenarioStep step)
    {
        try
        {
            return run.Execute(step);
        }
        catch (Exception e) when (e is BpfException or ObjectDisposedException or ArgumentException or InvalidOperationException)
        {
            return new TranscriptEntry(step.Number, step.Describe(), (e as BpfException)?.Errno, "threw " + e.GetType().Name);
        }
    }

    internal string PinPath(string name) => Path.Combine(_pinDirectory, name);

    /// <summary>Array-like maps walk in index order; hash-like maps in the kernel's bucket order, compared as sets.</summary>
    internal static bool IsOrdered(BpfMapType type) => type is BpfMapType.Array or BpfMapType.PerCpuArray or BpfMapType.ProgArray
        or BpfMapType.PerfEventArray or BpfMapType.CgroupArray or BpfMapType.ArrayOfMaps or BpfMapType.DevMap or BpfMapType.CpuMap
        or BpfMapType.XskMap or BpfMapType.SockMap or BpfMapType.ReuseportSockArray;

    private static bool IsOuter(BpfMapType type) => type is BpfMapType.ArrayOfMaps or BpfMapType.HashOfMaps;

    /// <summary>The state of one run: the handle slots, the IDs they had, and the symbol tables.</summary>
    private sealed partial class RunState
    {
        private readonly Interpreter _owner;
        private BpfMap?[] _handles;
        private uint?[] _ids;
        private readonly Dictionary<uint, string> _idSymbols = [];
        private readonly Dictionary<int, string> _liveFds = [];
        private int _fdCount;
        private int _idCount;

        public RunState(Interpreter owner, int handleCount)
        {
            _owner = owner;
            _handles = new BpfMap?[handleCount];
            _ids = new uint?[handleCount];
        }

        private BpfRuntime Runtime => _owner._runtime;

        public TranscriptEntry Execute(ScenarioStep step) => step switch
        {
            CreateStep s => Create(s),
            LookupStep s => Lookup(s),
            UpdateStep s => Update(s),
            DeleteStep s => WithMap(s, s.Map, map => Entry(s, map.TryDelete(s.Key))),
            NextKeyStep s => NextKey(s),
            WalkStep s => WithMap(s, s.Map, map => Walk(s, map)),
            EnumerateStep s => WithMap(s, s.Map, map => Enumerate(s, map)),
            UpdateBatchStep s => UpdateBatch(s),
            LookupAndDeleteStep s => LookupAndDelete(s),
            DeleteBatchStep s => WithMap(s, s.Map, map => DeleteBatch(s, map)),
            DrainStep s => WithMap(s, s.Map, map => Drain(s, map)),
            ViewStep s => WithMap(s, s.Map, map => View(s, map)),
            CloseStep s => Close(s),
            OpenByIdStep s => OpenById(s),
            PinStep s => WithMap(s, s.Map, map => Catch(s, () => map.Pin(_owner.PinPath(s.Name)))),
            OpenPinnedStep s => Opened(s, s.Result, Runtime.TryOpenPinned(_owner.PinPath(s.Name), out BpfMap? pinned), pinned),
            UnpinStep s => WithMap(s, s.Map, map => Catch(s, () => map.Unpin(_owner.PinPath(s.Name)))),
            DuplicateStep s => WithMap(s, s.Map, map => Duplicate(s, map)),
            LruFillStep s => WithMap(s, s.Map, map => LruFill(s, map)),
            _ => throw new InvalidOperationException($"Unknown step {step.GetType().Name}."),
        };

        public void CloseAll()
        {
            foreach (BpfMap? map in _handles)
            {
                map?.Dispose();
            }
        }

        private static TranscriptEntry Entry(ScenarioStep step, BpfErrno? errno, string output = "") => new(step.Number, step.Describe(), errno, output);

        private TranscriptEntry Create(CreateStep s)
        {
            BpfMapCreateOptions options = s.Options;
            if (s.Inner is { } inner)
            {
                if (Resolve(inner) is not { } template)
                {
                    return Entry(s, null, $"no handle {inner}");
                }

                options = options with { InnerMapFd = template.Fd };
            }

            if (s.BtfOf is { } btfHandle)
            {
                if (Resolve(btfHandle) is not { } btf)
                {
                    return Entry(s, null, $"no handle {btfHandle}");
                }

                options = options with { BtfFd = btf.Fd };
            }

            BpfErrno errno = Runtime.TryCreateMap(options, out BpfMap? map);
            if (!s.KeepOpen)
            {
                string output = map is null ? "" : Describe(map, withFd: false);
                map?.Dispose();
                return Entry(s, errno, output);
            }

            return Opened(s, s.Result!.Value, errno, map);
        }

        private TranscriptEntry OpenById(OpenByIdStep s)
        {
            uint id;
            if (s.Of is { } of)
            {
                if (_ids[of.Index] is not { } known)
                {
                    return Entry(s, null, $"no ID for {of}");
                }

                id = known;
            }
            else
            {
                id = s.RawId!.Value;
            }

            return Opened(s, s.Result, Runtime.TryOpenById(id, out BpfMap? map), map);
        }

        private TranscriptEntry Duplicate(DuplicateStep s, BpfMap map)
        {
            BpfMap duplicate;
            try
            {
                duplicate = map.Duplicate();
            }
            catch (BpfException e)
            {
                return Entry(s, e.Errno);
            }

            return Opened(s, s.Result, BpfErrno.None, duplicate);
        }

        /// <summary>Stores a new handle in its slot and records its fd, ID and what the kernel reports about it.</summary>
        private TranscriptEntry Opened(ScenarioStep s, Handle slot, BpfErrno errno, BpfMap? map)
        {
            if (map is null)
            {
                return Entry(s, errno);
            }

            _handles[slot.Index] = map;
            _ids[slot.Index] = map.Id;
            return Entry(s, errno, Describe(map, withFd: true));
        }

        private string Describe(BpfMap map, bool withFd)
        {
            BpfMapInfo info = map.Info;
            string fd = withFd ? FdSymbol(map.Fd) + " " : "";
            return string.Create(CultureInfo.InvariantCulture,
                $"{fd}id={IdSymbol(info.Id)} {info.Type} key={info.KeySize} value={info.ValueSize} max={info.MaxEntries} flags={info.Flags} name=\"{info.Name}\" btf={info.BtfId}/{info.BtfKeyTypeId}/{info.BtfValueTypeId}");
        }

        private TranscriptEntry Lookup(LookupStep s) => WithMap(s, s.Map, map =>
        {
            byte[] value = new byte[map.UserValueSize];
            BpfErrno errno = map.TryLookup(s.Key, value);
            return Entry(s, errno, errno == BpfErrno.None ? FormatValue(map, value) : "");
        });

        private TranscriptEntry Update(UpdateStep s) => WithMap(s, s.Map, map =>
        {
            byte[] value;
            switch (s.Value)
            {
                case RawVal raw:
                    value = raw.Value;
                    break;
                case FdVal fd:
                    if (Resolve(fd.Handle) is not { } other)
                    {
                        return Entry(s, null, $"no handle {fd.Handle}");
                    }

                    value = Scenario.I32(other.Fd);
                    break;
                case PatternVal pattern:
                    value = PatternVal.Fill(pattern.Seed, map.UserValueSize);
                    break;
                default:
                    throw new InvalidOperationException($"Unknown value {s.Value}.");
            }

            return Entry(s, map.TryUpdate(s.Key, value, s.Flags));
        });

        private TranscriptEntry NextKey(NextKeyStep s) => WithMap(s, s.Map, map =>
        {
            byte[] next = new byte[map.KeySize];
            BpfErrno errno = map.TryGetNextKey(s.Key ?? [], next);
            if (errno != BpfErrno.None)
            {
                return Entry(s, errno);
            }

            if (IsOrdered(map.Type))
            {
                return Entry(s, errno, Convert.ToHexStringLower(next));
            }

            // Which key comes next depends on the bucket order: record only that it is one of the map's.
            byte[] value = new byte[map.UserValueSize];
            BpfErrno member = map.TryLookup(next, value);
            return Entry(s, errno, member == BpfErrno.None ? "<a key of the map>" : $"<not a key of the map: {Convert.ToHexStringLower(next)}, lookup {member}>");
        });

        /// <summary>The get_next_key walk (with lookups for a dump): in order for arrays, as a sorted set for hashes.</summary>
        private TranscriptEntry Walk(WalkStep s, BpfMap map)
        {
            (List<byte[]> keys, BpfErrno end) = WalkKeys(map);
            var items = new List<string>(keys.Count);
            byte[] value = new byte[map.UserValueSize];
            foreach (byte[] key in keys)
            {
                string item = Convert.ToHexStringLower(key);
                if (s.WithValues)
                {
                    BpfErrno errno = map.TryLookup(key, value);
                    item += "=" + (errno == BpfErrno.None ? FormatValue(map, value) : "!" + errno);
                }

                items.Add(item);
            }

            if (!IsOrdered(map.Type) && !s.KernelOrder)
            {
                items.Sort(StringComparer.Ordinal);
            }

            string output = items.Count == 0 ? "-" : string.Join(',', items);
            return Entry(s, null, end == BpfErrno.ENOENT ? output : $"{output} (walk ended with {end})");
        }

        /// <summary>The runtime's enumeration (batched where the native backend can), recorded as a walk or a dump is.</summary>
        private TranscriptEntry Enumerate(EnumerateStep s, BpfMap map)
        {
            var items = new List<string>();
            if (s.WithValues)
            {
                foreach (RawEntry entry in map.EnumerateEntries())
                {
                    // Entries may share buffers with the next one: format before moving on.
                    items.Add(Convert.ToHexStringLower(entry.Key.Span) + "=" + FormatValue(map, entry.Value.ToArray()));
                }
            }
            else
            {
                foreach (byte[] key in map.EnumerateKeys())
                {
                    items.Add(Convert.ToHexStringLower(key));
                }
            }

            if (!IsOrdered(map.Type))
            {
                items.Sort(StringComparer.Ordinal);
            }

            return Entry(s, null, items.Count == 0 ? "-" : string.Join(',', items));
        }

        private TranscriptEntry UpdateBatch(UpdateBatchStep s) => WithMap(s, s.Map, map =>
        {
            byte[] keys = s.Keys.SelectMany(k => k).ToArray();
            var values = new List<byte>();
            foreach (Val v in s.Values)
            {
                switch (v)
                {
                    case RawVal raw:
                        values.AddRange(raw.Value);
                        break;
                    case FdVal fd when Resolve(fd.Handle) is { } other:
                        values.AddRange(Scenario.I32(other.Fd));
                        break;
                    case PatternVal pattern:
                        values.AddRange(PatternVal.Fill(pattern.Seed, map.UserValueSize));
                        break;
                    default:
                        return Entry(s, null, $"cannot resolve {v}");
                }
            }

            BpfErrno errno = map.UpdateBatch(keys, values.ToArray(), s.Keys.Length, s.Flags, out int written);
            return Entry(s, errno, "written=" + written.ToString(CultureInfo.InvariantCulture));
        });

        private TranscriptEntry LookupAndDelete(LookupAndDeleteStep s) => WithMap(s, s.Map, map =>
        {
            byte[] value = new byte[map.UserValueSize];
            BpfErrno errno = map.TryLookupAndDelete(s.Key, value);
            return Entry(s, errno, errno == BpfErrno.None ? FormatValue(map, value) : "");
        });

        private static TranscriptEntry DeleteBatch(DeleteBatchStep s, BpfMap map)
        {
            BpfErrno errno = map.DeleteBatch(s.Keys.SelectMany(k => k).ToArray(), s.Keys.Length, out int deleted);
            return Entry(s, errno, "deleted=" + deleted.ToString(CultureInfo.InvariantCulture));
        }

        /// <summary>The drain, its elements as a set (hash maps drain in bucket order).</summary>
        private TranscriptEntry Drain(DrainStep s, BpfMap map)
        {
            var items = new List<string>();
            BpfErrno errno = map.Drain((keys, values, count) =>
            {
                for (int i = 0; i < count; i++)
                {
                    items.Add(Convert.ToHexStringLower(keys.Slice(i * map.KeySize, map.KeySize))
                        + "=" + FormatValue(map, values.Slice(i * map.UserValueSize, map.UserValueSize).ToArray()));
                }
            });
            items.Sort(StringComparer.Ordinal);
            return Entry(s, errno, items.Count == 0 ? "-" : string.Join(',', items));
        }

        /// <summary>One value through a fresh mapping of the map, released again (the handle keeps its own).</summary>
        private static TranscriptEntry View(ViewStep s, BpfMap map)
        {
            MappedValues mapped;
            try
            {
                mapped = map.AcquireMappedValues();
            }
            catch (BpfException e)
            {
                return Entry(s, e.Errno);
            }

            try
            {
                int stride = (int)BpfMapRules.RoundUp8(map.Info.ValueSize);
                Span<byte> value = mapped.Slice((long)s.Index * stride, (int)map.Info.ValueSize);
                if (s.Bytes is null)
                {
                    return Entry(s, BpfErrno.None, Convert.ToHexStringLower(value));
                }

                s.Bytes.CopyTo(value);
                return Entry(s, BpfErrno.None);
            }
            finally
            {
                mapped.Release();
            }
        }

        private static (List<byte[]> Keys, BpfErrno End) WalkKeys(BpfMap map)
        {
            var keys = new List<byte[]>();
            byte[] previous = [];
            // A walk never needs more steps than entries; the bound keeps a broken map from looping forever.
            long limit = (long)map.Info.MaxEntries + 16;
            while (keys.Count <= limit)
            {
                byte[] next = new byte[map.KeySize];
                BpfErrno errno = map.TryGetNextKey(previous, next);
                if (errno != BpfErrno.None)
                {
                    return (keys, errno);
                }

                keys.Add(next);
                previous = next;
            }

            return (keys, BpfErrno.ELOOP);
        }

        private TranscriptEntry Close(CloseStep s)
        {
            if (_handles[s.Map.Index] is not { } map)
            {
                return Entry(s, null, $"no handle {s.Map}");
            }

            if (!map.IsDisposed)
            {
                _liveFds.Remove(map.Fd);
            }

            map.Dispose();
            return Entry(s, null);
        }

        /// <summary>Inserts sequential keys into an LRU map and records its invariants rather than its entries.</summary>
        private static TranscriptEntry LruFill(LruFillStep s, BpfMap map)
        {
            var errnos = new SortedSet<BpfErrno>();
            byte[] key = new byte[map.KeySize];
            for (uint i = 0; i < s.Count; i++)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(key, s.First + i);
                errnos.Add(map.TryUpdate(key, PatternVal.Fill((byte)i, map.UserValueSize)));
            }

            (List<byte[]> keys, BpfErrno end) = WalkKeys(map);
            byte[] value = new byte[map.UserValueSize];
            BinaryPrimitives.WriteUInt32LittleEndian(key, s.First + s.Count - 1);
            bool newestPresent = map.TryLookup(key, value) == BpfErrno.None;
            bool withinMax = keys.Count <= map.Info.MaxEntries;
            bool distinct = keys.Select(Convert.ToHexStringLower).Distinct(StringComparer.Ordinal).Count() == keys.Count;

            var violations = new List<string>();
            if (errnos.Count != 1 || errnos.Min != BpfErrno.None)
            {
                violations.Add($"inserts gave {string.Join('/', errnos)} (an LRU map evicts, it never fails with E2BIG)");
            }

            if (!withinMax)
            {
                violations.Add($"{keys.Count.ToString(CultureInfo.InvariantCulture)} keys in a map of max {map.Info.MaxEntries.ToString(CultureInfo.InvariantCulture)}");
            }

            if (!newestPresent)
            {
                violations.Add("the newest key is missing");
            }

            if (!distinct || end != BpfErrno.ENOENT)
            {
                violations.Add($"the walk gave a key twice or ended with {end}");
            }

            string output = $"inserts {string.Join('/', errnos)}; entries<=max {withinMax}; newest present {newestPresent}; walk ok {distinct && end == BpfErrno.ENOENT}; nonempty {keys.Count > 0}";
            return Entry(s, null, output) with { Violation = violations.Count == 0 ? null : string.Join("; ", violations) };
        }

        private static TranscriptEntry Catch(ScenarioStep s, Action action)
        {
            try
            {
                action();
                return Entry(s, BpfErrno.None);
            }
            catch (BpfException e)
            {
                return Entry(s, e.Errno);
            }
        }

        private TranscriptEntry WithMap(ScenarioStep s, Handle handle, Func<BpfMap, TranscriptEntry> action) =>
            _handles[handle.Index] is { } map ? action(map) : Entry(s, null, $"no handle {handle}");

        private BpfMap? Resolve(Handle handle) => _handles[handle.Index] is { IsDisposed: false } map ? map : null;

        /// <summary>A value as the transcript shows it: an outer map's value is an inner map ID, shown as its symbol.</summary>
        private string FormatValue(BpfMap map, byte[] value) =>
            IsOuter(map.Type) ? IdSymbol(BinaryPrimitives.ReadUInt32LittleEndian(value)) : Convert.ToHexStringLower(value);

        private string IdSymbol(uint id)
        {
            if (!_idSymbols.TryGetValue(id, out string? symbol))
            {
                symbol = id == 0 ? "I0" : "I" + (++_idCount).ToString(CultureInfo.InvariantCulture);
                _idSymbols.Add(id, symbol);
            }

            return symbol;
        }

        /// <summary>
        /// A new fd gets the next symbol; an fd equal to one still open in this run (which would be a
        /// bug) gets that one's symbol, so the transcript shows the clash. A closed fd's number may come
        /// back for a later handle: that is a new fd.
        /// </summary>
        private string FdSymbol(int fd)
        {
            if (_liveFds.TryGetValue(fd, out string? symbol))
            {
                return symbol + "(reused while open!)";
            }

            symbol = "fd=F" + (++_fdCount).ToString(CultureInfo.InvariantCulture);
            _liveFds.Add(fd, symbol);
            return symbol;
        }
    }
}
