using BenchmarkDotNet.Running;
using Sluice.Benchmarks.Schemas;

// `avro-library`: the same-process A/B of the click event's fast path against Apache.Avro (a harness, not BenchmarkDotNet).
if (args.Length > 0 && args[0] == "avro-library") return AvroLibraryComparison.Run(args);

// Every benchmark class in this assembly, chosen with --filter (for example --filter '*Avro*').
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
