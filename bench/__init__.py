"""Benchmarks: synthetic national directory and side-by-side measurements."""
