"""What the benchmarks share (each benchmark puts ``benchmarks/`` on ``sys.path``)."""
