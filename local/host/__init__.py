"""A local Azure Functions host for Python v2 apps (HTTP, queue and timer triggers).

Run it with `python -m local.host`; docs/local-host.md says what it emulates and what differs.
"""
