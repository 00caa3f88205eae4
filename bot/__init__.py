"""Wiring: settings, the `townhall` command line, and the start and stop of adapters and core."""
