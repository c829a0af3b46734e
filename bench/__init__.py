"""Benchmarks of the SDK against the simulator: the waiter, per-request overhead, download throughput.

`python -m bench` runs all three against one simulator (under two minutes); `python -m bench.waiter`,
`python -m bench.overhead` and `python -m bench.download` run one each.
"""
