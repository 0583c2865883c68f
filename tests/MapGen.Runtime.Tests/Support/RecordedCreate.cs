using System.Globalization;

namespace MapGen.Runtime.Tests.Support;

/// <summary>One line of KernelRecorded/create.txt: creation attributes and the kernel's answer.</summary>
internal sealed record RecordedCreate(BpfMapCreateOptions Options, BpfErrno Errno, uint ReportedMaxEntries, BpfMapFlags ReportedFlags)
{
    public static string RecordedPath(string file) => Path.Combine(AppContext.BaseDirectory, "KernelRecorded", file);

    /// <summary>The distinct recorded lines (comments left out).</summary>
    public static IEnumerable<string> Lines() =>
        File.ReadLines(RecordedPath("create.txt"))
            .Where(line => !line.StartsWith('#') && line.Length != 0)
            .Distinct(StringComparer.Ordinal);

    public static RecordedCreate Parse(string line)
    {
        string[] sides = line.Split(" => ");
        string[] a = sides[0].Split(' ');
        string[] result = sides[1].Split(' ');
        var options = new BpfMapCreateOptions
        {
            Type = (BpfMapType)U(a[0]),
            KeySize = U(a[1]),
            ValueSize = U(a[2]),
            MaxEntries = U(a[3]),
            Flags = (BpfMapFlags)U(a[4]),
            NumaNode = U(a[5]),
            BtfKeyTypeId = U(a[6]),
            BtfValueTypeId = U(a[7]),
            BtfFd = int.Parse(a[8], CultureInfo.InvariantCulture),
            Name = a[9] == "-" ? null : a[9],
        };
        var errno = (BpfErrno)int.Parse(result[0], CultureInfo.InvariantCulture);
        return errno == BpfErrno.None
            ? new RecordedCreate(options, errno, U(result[1]), (BpfMapFlags)U(result[2]))
            : new RecordedCreate(options, errno, 0, 0);
    }

    private static uint U(string text) => uint.Parse(text, CultureInfo.InvariantCulture);
}
