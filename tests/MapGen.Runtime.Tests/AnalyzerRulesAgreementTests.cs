using MapGen.Runtime.Tests.Support;

namespace MapGen.Runtime.Tests;

/// <summary>
/// The analyzers judge declarations with <see cref="MapTypeTraits"/>; here that table meets the
/// creation attempts recorded on Linux 6.18 (KernelRecorded/create.txt), so that what the IDE
/// accepts and what the kernel accepts cannot drift apart.
/// </summary>
public sealed class AnalyzerRulesAgreementTests
{
    [Fact]
    public void Every_definition_the_kernel_accepted_passes_the_analyzer_rules()
    {
        var refused = RecordedCreate.Lines()
            .Select(RecordedCreate.Parse)
            .Where(r => r.Errno == BpfErrno.None)
            .Select(r => (Record: r, Refusals: AnalyzerRefusals(r.Options)))
            .Where(r => r.Refusals.Count != 0)
            .Select(r => $"{Describe(r.Record.Options)}: {string.Join(", ", r.Refusals)}")
            .ToList();
        Assert.True(refused.Count == 0, "The analyzers would refuse definitions the kernel accepted:\n" + string.Join('\n', refused));
    }

    [Fact]
    public void Every_definition_that_passes_the_analyzer_rules_is_accepted_by_the_kernel()
    {
        // Only what a declaration can express: no BTF (the runtime adds it), no NUMA node, a
        // C-identifier name. The analyzers leave out limits that depend on memory or on the
        // kernel's configuration (E2BIG, ENOMEM; hash tables whose bucket count overflows; stack
        // traces deeper than kernel.perf_event_max_stack, 127 frames by default): the kernel
        // reports those at run time.
        var accepted = RecordedCreate.Lines()
            .Select(RecordedCreate.Parse)
            .Where(r => r.Errno is not (BpfErrno.None or BpfErrno.E2BIG or BpfErrno.ENOMEM))
            .Where(r => r.Options is { BtfFd: 0, BtfKeyTypeId: 0, BtfValueTypeId: 0, NumaNode: 0 }
                && (r.Options.Name is null || BpfMapSpec.IsValidName(r.Options.Name))
                && !NeedsBtf(r.Options.Type)
                && r.Options.MaxEntries <= 1U << 26
                && !(r.Options.Type == BpfMapType.StackTrace && r.Options.ValueSize > 127 * 8))
            .Where(r => AnalyzerRefusals(r.Options).Count == 0)
            .Select(r => $"{Describe(r.Options)} => {r.Errno}")
            .ToList();
        Assert.True(accepted.Count == 0, "The analyzers accept definitions the kernel refused:\n" + string.Join('\n', accepted));
    }

    [Fact]
    public void The_comparison_sees_a_refusal()
    {
        // Guards the guard: a Hash without a key is refused by both.
        var options = new BpfMapCreateOptions { Type = BpfMapType.Hash, KeySize = 0, ValueSize = 4, MaxEntries = 1 };
        Assert.Contains("key size", AnalyzerRefusals(options));
    }

    /// <summary>Types the kernel creates only with BTF type ids, which the runtime supplies from the declaration.</summary>
    private static bool NeedsBtf(BpfMapType type) =>
        type is BpfMapType.SkStorage or BpfMapType.InodeStorage or BpfMapType.TaskStorage or BpfMapType.CgrpStorage or BpfMapType.StructOps;

    /// <summary>Why the analyzers would refuse a declaration with these attributes (the rules of MapDeclarationParser).</summary>
    private static List<string> AnalyzerRefusals(BpfMapCreateOptions o)
    {
        var refusals = new List<string>();
        if (!MapTypeTraits.TryGet(o.Type, out MapTypeTraits t))
        {
            return ["unknown type"];
        }

        if (!t.AllowsKeySize(o.KeySize))
        {
            refusals.Add("key size");
        }

        if (!t.AllowsValueSize(o.ValueSize, o.Flags))
        {
            refusals.Add("value size");
        }

        bool maxEntriesOk = t.MaxEntries switch
        {
            MaxEntriesRule.Positive => o.MaxEntries > 0,
            MaxEntriesRule.Zero => o.MaxEntries == 0,
            MaxEntriesRule.One => o.MaxEntries == 1,
            MaxEntriesRule.PageSizePowerOfTwo => o.MaxEntries >= 4096 && (o.MaxEntries & (o.MaxEntries - 1)) == 0,
            _ => false,
        };
        if (!maxEntriesOk)
        {
            refusals.Add("max entries");
        }

        BpfMapFlags flags = o.Flags;
        if ((flags & ~t.AllowedFlags) != 0)
        {
            refusals.Add($"flags {flags & ~t.AllowedFlags}");
        }

        if ((t.RequiredFlags & ~flags) != 0)
        {
            refusals.Add($"missing {t.RequiredFlags & ~flags}");
        }

        if (t.MutuallyExclusiveFlags != 0 && (flags & t.MutuallyExclusiveFlags) == t.MutuallyExclusiveFlags)
        {
            refusals.Add("exclusive flags");
        }

        if ((flags & (BpfMapFlags.RdOnly | BpfMapFlags.WrOnly)) == (BpfMapFlags.RdOnly | BpfMapFlags.WrOnly)
            || (flags & (BpfMapFlags.RdOnlyProg | BpfMapFlags.WrOnlyProg)) == (BpfMapFlags.RdOnlyProg | BpfMapFlags.WrOnlyProg))
        {
            refusals.Add("access flags");
        }

        return refusals;
    }

    private static string Describe(BpfMapCreateOptions o) =>
        $"{o.Type} key {o.KeySize} value {o.ValueSize} max {o.MaxEntries} flags {o.Flags}";
}
