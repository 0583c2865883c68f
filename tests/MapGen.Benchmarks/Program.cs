using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/MapGen.Benchmarks -- --filter '*GeneratorBenchmarks*'
// Also EmulatedHashBenchmarks, and (as root, with libbpf.so.1) NativeElementBenchmarks,
// NativeBulkReadBenchmarks, NativeOuterBatchBenchmarks. Results and commands: docs/benchmarks.md.
BenchmarkSwitcher.FromAssembly(typeof(MapGen.Benchmarks.GeneratorBenchmarks).Assembly).Run(args);
