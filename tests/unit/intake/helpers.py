"""Builders shared by the intake tests: valid events in each format, signed requests, settings."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from shared.config import Settings
from shared.intake.scim import BULK_REQUEST_SCHEMA, ENTERPRISE_USER, TAPSTART_USER
from shared.intake.signature import sign_request

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
OLD_SECRET = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def settings(**overrides: str) -> Settings:
    env = {
        "ACS_ENDPOINT": "https://tapstart.example.communication.azure.com",
        "MAIL_SENDER": "onboarding@example.com",
        "ADMIN_EMAILS": "admin@example.com",
        "HR_WEBHOOK_SECRETS": SECRET,
        "TRACKING_ID_KEY": "local-tracking-key-not-for-production-use",
        "PASSWORDLESS_GROUP_IDS": "11111111-2222-3333-4444-555555555555",
        **overrides,
    }
    return Settings.from_env(env)


def canonical(**overrides: Any) -> dict[str, Any]:
    event = {
        "eventId": "hr-2026-000123",
        "occurredAt": "2026-11-28T08:55:00Z",
        "employeeId": "E123",
        "userPrincipalName": "ada.lovelace@contoso.example",
        "givenName": "Ada",
        "surname": "Lovelace",
        "displayName": "Ada Lovelace",
        "hireDate": "2026-12-01",
        "timeZone": "Europe/London",
        "department": "Engineering",
        "jobTitle": "Analyst",
        "preferredLanguage": "en-GB",
        "personalEmail": "ada@home.example",
    }
    event.update(overrides)
    return {k: v for k, v in event.items() if v is not None}


def structured(data: Any = None, **attributes: Any) -> dict[str, Any]:
    event = {
        "specversion": "1.0",
        "id": "ce-0001",
        "source": "/hr/workday",
        "type": "com.tapstart.joiner.v1",
        "time": "2026-11-28T08:55:00Z",
        "datacontenttype": "application/json",
        "data": canonical() if data is None else data,
    }
    event.update(attributes)
    return {k: v for k, v in event.items() if v is not None}


def binary_headers(**overrides: str) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        "ce-specversion": "1.0",
        "ce-id": "ce-0002",
        "ce-source": "/hr/workday",
        "ce-type": "com.tapstart.joiner.v1",
        "ce-time": "2026-11-28T08:55:00Z",
    }
    headers.update(overrides)
    return headers


def scim_user(employee: str = "701984", active: bool = True, **extra: Any) -> dict[str, Any]:
    user: dict[str, Any] = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE_USER, TAPSTART_USER],
        "externalId": employee,
        "userName": f"u{employee}@contoso.example",
        "name": {"givenName": "Barbara", "familyName": "Jensen"},
        "displayName": "Babs Jensen",
        "title": "Tour Guide",
        "timezone": "America/Los_Angeles",
        "preferredLanguage": "en-US",
        "active": active,
        "emails": [
            {"value": "babs@work.example", "type": "work", "primary": True},
            {"value": "babs@home.example", "type": "home"},
        ],
        ENTERPRISE_USER: {
            "employeeNumber": employee,
            "department": "Tour Operations",
            "manager": {"value": "89607"},
        },
        TAPSTART_USER: {"hireDate": "2026-12-01"},
    }
    user.update(extra)
    return user


def bulk(*users: dict[str, Any]) -> dict[str, Any]:
    return {
        "schemas": [BULK_REQUEST_SCHEMA],
        "Operations": [
            {"method": "POST", "bulkId": f"b{i}", "path": "/Users", "data": user}
            for i, user in enumerate(users)
        ],
        "failOnErrors": None,
    }


def body(document: Any) -> bytes:
    return json.dumps(document).encode()


def signed(payload: bytes, content_type: str = "application/json", **kw: Any) -> dict[str, str]:
    headers = sign_request(payload, kw.pop("secret", SECRET), timestamp=kw.pop("at", NOW), **kw)
    return {"Content-Type": content_type, **headers}
