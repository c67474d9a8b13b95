"""Who may receive a joiner's TAP: the manager only when the manager is a safe recipient.

With API-driven provisioning the HR feed writes `manager` too, so the feed indirectly chooses
who gets the pass. A pass is therefore mailed to the manager only when the manager is an
enabled member of the tenant (never a guest or an external account) whose mail is in one of
the delivery domains (DELIVERY_DOMAINS; by default the joiner's own UPN domain) and whose mail is
an address the mail service accepts (shared.domain.email_address: a refused address found only by
the send would leave a pass behind). Otherwise the admin-configured FALLBACK_DELIVERY_EMAIL gets
it, and the reason is recorded.
"""

from __future__ import annotations

from collections.abc import Iterable

from shared.domain.directory import Manager
from shared.domain.email_address import address_problem


def domain_of(address: str) -> str:
    return address.rsplit("@", 1)[-1].strip().lower().rstrip(".")


def delivery_domains(configured: Iterable[str], joiner_upn: str) -> frozenset[str]:
    """The configured delivery domains, else the joiner's own UPN domain."""
    domains = frozenset(d.strip().lower().rstrip(".") for d in configured if d.strip())
    return domains or frozenset({domain_of(joiner_upn)})


def unsafe_manager(manager: Manager | None, domains: frozenset[str]) -> str | None:
    """Why the manager must not receive the pass; None: they may."""
    if manager is None:
        return "no manager in the directory"
    if not manager.mail:
        return "the manager has no mail"
    if problem := address_problem(manager.mail):
        return f"the manager's mail is not an address the mail service accepts ({problem})"
    if not manager.account_enabled:
        return "the manager's account is disabled"
    if manager.user_type.lower() == "guest" or manager.external:
        return "the manager is a guest or external account"
    if domain_of(manager.mail) not in domains:
        return f"the manager's mail domain {domain_of(manager.mail)} is not a delivery domain"
    return None
