"""HR intake: authenticate, parse and validate what HR systems post to `POST /api/hr/events`.

Order matters and is the caller's job (see functions/hr_events.py): size limit, then the
signature over the raw bytes (`signature`), then parsing (`parse`), then the use case, then the
replay claim on the webhook id. Every refusal is an `InvalidEventError` subclass that
`problem` turns into an RFC 9457 answer.
"""
