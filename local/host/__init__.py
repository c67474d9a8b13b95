"""A local Azure Functions host for Python v2 apps: what function_app.py declares, nothing more.

HTTP triggers on `{name}` routes, queue triggers (lease, dequeue count, poison queue) and timer
triggers; anything else an app declares is refused when the host indexes it.

Run it with `python -m local.host`; docs/local-host.md says what it emulates and what differs.
"""
