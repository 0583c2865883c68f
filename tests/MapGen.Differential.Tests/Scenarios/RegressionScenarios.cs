using MapGen.Differential.Tests.Model;
using static MapGen.BpfErrno;
using static MapGen.Differential.Tests.Model.Scenario;
using F = MapGen.BpfMapFlags;
using M = MapGen.BpfMapType;
using U = MapGen.BpfUpdateFlags;

namespace MapGen.Differential.Tests.Scenarios;

/// <summary>
/// One scenario for each divergence the differential test found between the emulated and the
/// native runtime, named after it, kept so that it cannot come back.
/// </summary>
public static partial class Catalog
{
    private static IEnumerable<Scenario> RegressionScenarios()
    {
        yield break;
    }
}
