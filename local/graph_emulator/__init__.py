"""A protocol-faithful Microsoft Graph emulator for Tapstart's tests and local demo.

Start it with ``python -m local.graph_emulator --help``; docs/graph-emulator.md describes the
endpoints, the control API under ``/_emulator/`` and what is knowingly simplified.
"""
