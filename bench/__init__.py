"""Benchmarks (not tests): throughput, latency and scale. `python -m bench.run`."""
