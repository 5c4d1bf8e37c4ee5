"""Quality metrics shared by tests and benchmarks (definitions in docs/design)."""
