using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/MapGen.Benchmarks -- --filter '*Generator*'
BenchmarkSwitcher.FromAssembly(typeof(MapGen.Benchmarks.GeneratorBenchmarks).Assembly).Run(args);
