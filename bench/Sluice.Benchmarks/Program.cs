using BenchmarkDotNet.Running;

// Every benchmark class in this assembly, chosen with --filter (for example --filter '*Avro*').
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
