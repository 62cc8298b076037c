"""Benchmarks that print JSON results (DESIGN.md §6)."""
