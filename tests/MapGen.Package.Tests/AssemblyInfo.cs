using MapGen.Package.Tests.Infrastructure;

// Every test here runs `dotnet` builds, which are CPU-bound and share the sample's obj/ folder;
// running them one at a time keeps each well inside its timeout and avoids build races.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

// The package is packed once, before the tests, and shared by all of them.
[assembly: AssemblyFixture(typeof(PackedPackage))]
