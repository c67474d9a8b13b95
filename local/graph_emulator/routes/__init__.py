"""Graph endpoints, one module per area; ``build_router`` registers them all."""

from __future__ import annotations

from ..dispatch import Router
from . import (
    audit,
    authenticator,
    batch,
    conditional_access,
    groups,
    methods,
    policies,
    reports,
    roles,
    tap,
    users,
)


def build_router() -> Router:
    router = Router()
    for module in (
        users,
        authenticator,
        methods,
        tap,
        groups,
        roles,
        policies,
        conditional_access,
        reports,
        audit,
        batch,
    ):
        module.register(router)
    return router
