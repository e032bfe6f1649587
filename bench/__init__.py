"""Benchmarks of the connector against baselines measured in the same run."""
