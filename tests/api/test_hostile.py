"""Hostile input against a running host, beyond the parser-level cases in tests/unit/intake.

- names from the directory carrying markup and line breaks reach the manager's email escaped,
  and never as extra mail headers;
- a replayed delivery and signatures dated outside the 5-minute window are refused with a 401
  that names the header;
- a host restarted with rotated secrets (`new,old`) accepts both and finishes a joiner that
  was accepted before the rotation.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.parser import BytesParser
from email.policy import default
from typing import Any

from tests.e2e.stack import SECRET, Tapstart, canonical_event, host_json, launch, signed_headers
from tests.fixtures.acs import AcsEmulator
from tests.fixtures.azurite import Azurite
from tests.fixtures.graph import EmulatedGraph
from tests.fixtures.host import HostLauncher

TODAY = datetime.now(UTC).date().isoformat()
HOSTILE_JOINER = "Eve <img src=x onerror=alert(1)>\r\nBcc: attacker@evil.example"
HOSTILE_MANAGER = "Mal <b>lory</b>\r\nX-Injected: yes"
MANAGER_UPN = "mallory.manager@contoso.example"
OLD_SECRET = SECRET
NEW_SECRET = "whsec_" + "cm90YXRlZC1uZXctc2VjcmV0LWZvci10ZXN0cy0wMDA="
UNKNOWN_SECRET = "whsec_" + "bm90LWEtY29uZmlndXJlZC1zZWNyZXQtYXQtYWxsLTA="


def accepted_id(stack: Tapstart, event: dict[str, Any], **sign: Any) -> str:
    result = stack.post_event(event, **sign)
    assert result.status == 202, result.text
    [tracking_id] = result.json()["trackingIds"]
    return str(tracking_id)


def test_markup_and_line_breaks_in_directory_names_are_escaped_in_the_managers_email(
    stack: Tapstart,
) -> None:
    control = stack.graph.control
    control.add_user(userPrincipalName=MANAGER_UPN, displayName=HOSTILE_MANAGER, employeeId="E8800")
    control.add_user(
        userPrincipalName="eve.hostile@contoso.example",
        displayName=HOSTILE_JOINER,
        givenName="Eve",
        employeeId="E8801",
        manager=MANAGER_UPN,
        createdDateTime="now-1d",
    )
    status = stack.wait_final(accepted_id(stack, canonical_event("E8801", TODAY)))
    assert status["status"] == "delivered", status

    [email] = stack.messages_to(MANAGER_UPN)
    assert "\r" not in email["subject"] and "\n" not in email["subject"]
    assert "Eve" in email["subject"]
    html = email["html"]
    assert "<img" not in html and "<b>lory" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    recipients = json.dumps({k: email.get(k) for k in ("to", "cc", "bcc")})
    assert "evil.example" not in recipients
    # The name stays inside the Subject header (line breaks folded away), never a header of its own.
    mime = BytesParser(policy=default).parsebytes(stack.acs.control.eml(email["id"]))
    assert "Bcc" not in mime and "X-Injected" not in mime
    assert "Bcc: attacker" in str(mime["Subject"])


def test_a_replayed_delivery_gets_the_first_answer_and_a_changed_one_409(stack: Tapstart) -> None:
    body = json.dumps(canonical_event("E1001", TODAY)).encode()
    headers = {"content-type": "application/json", **signed_headers(body)}

    def post(payload: bytes) -> Any:
        return stack.host.request(
            "POST", "/api/hr/events", body=payload, key=stack.host.function_key, headers=headers
        )

    first, again = post(body), post(body)
    assert first.status == 202, first.text
    assert again.status == 202 and again.json() == first.json()  # the retry of a lost answer

    changed = json.dumps(canonical_event("E1002", TODAY)).encode()
    same_id = {
        "content-type": "application/json",
        **signed_headers(changed, msg_id=headers["webhook-id"]),
    }
    conflict = stack.host.request(
        "POST", "/api/hr/events", body=changed, key=stack.host.function_key, headers=same_id
    )
    assert conflict.status == 409
    assert conflict.headers["Content-Type"].startswith("application/problem+json")
    assert [e["field"] for e in conflict.json()["errors"]] == ["webhook-id"]


def test_signatures_dated_outside_the_window_are_refused(stack: Tapstart) -> None:
    now = datetime.now(UTC)
    for at, word in ((now + timedelta(minutes=6), "future"), (now - timedelta(minutes=6), "old")):
        result = stack.post_event(canonical_event("E1001", TODAY), at=at)
        assert result.status == 401, (word, result.text)
        problem = result.json()
        assert [e["field"] for e in problem["errors"]] == ["webhook-timestamp"]
        assert word in problem["detail"]
    # inside the window on both sides is fine (clocks drift)
    for at in (now + timedelta(minutes=4), now - timedelta(minutes=4)):
        assert stack.post_event(canonical_event("E1001", TODAY), at=at).status == 202


def test_a_host_restarted_with_rotated_secrets_accepts_both_and_finishes_earlier_joiners(
    api_launcher: HostLauncher,
    azurite: Azurite,
    graph: EmulatedGraph,
    acs: AcsEmulator,
) -> None:
    before = launch(api_launcher, azurite, graph, acs, HR_WEBHOOK_SECRETS=OLD_SECRET)
    refused = before.post_event(canonical_event("E1001", TODAY), secret=NEW_SECRET)
    assert refused.status == 401  # the new secret is not known yet
    # Accepted, then the host goes away before (or while) the worker runs.
    early = accepted_id(before, canonical_event("E1001", TODAY), secret=OLD_SECRET)
    before.host.stop()

    settings = before.settings | {"HR_WEBHOOK_SECRETS": f"{NEW_SECRET},{OLD_SECRET}"}
    after = Tapstart(api_launcher.start(env=settings, host_json=host_json()), graph, acs, settings)
    assert after.wait_final(early)["status"] == "delivered"
    for secret in (NEW_SECRET, OLD_SECRET):
        result = after.post_event(canonical_event("E1002", TODAY), secret=secret)
        assert result.status == 202, result.text
    unknown = after.post_event(canonical_event("E1002", TODAY), secret=UNKNOWN_SECRET)
    assert unknown.status == 401
    assert [e["field"] for e in unknown.json()["errors"]] == ["webhook-signature"]
