from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from markupsafe import escape

from shared.domain.email import OutgoingEmail
from shared.domain.passwordless import Stage, Target
from shared.emails import EXPLAINED_REASONS, compose_admin_alert, compose_manager_final_notice
from shared.rendering import Brand
from tests.unit.emails.conftest import HOSTILE_NAME

WHEN = datetime(2026, 1, 5, 6, 30, tzinfo=UTC)


def test_final_notice_tells_the_manager_the_joiner_has_not_enrolled(brand: Brand) -> None:
    email = compose_manager_final_notice(
        to="anna.boss@fabrikam.example",
        joiner_name="Eve Example",
        joiner_upn="eve@fabrikam.example",
        hire_date=date(2026, 1, 5),
        reminders_sent=4,
        manager_name="Anna",
        brand=brand,
    )

    assert email.subject == "Eve Example has not set up passwordless sign-in yet"
    for body in (email.html, email.text):
        assert "Eve Example started on Monday, 5 January 2026" in body
        assert "Reminders sent: 4" in body
        assert "Work or school account" in body
    assert email.kind == "notice"


def test_final_notice_in_german_escapes_hostile_names(brand: Brand) -> None:
    email = compose_manager_final_notice(
        to="anna.boss@fabrikam.example",
        joiner_name=HOSTILE_NAME,
        hire_date=date(2026, 1, 5),
        reminders_sent=3,
        language="de",
        brand=brand,
    )

    assert email.subject.endswith("hat die kennwortlose Anmeldung noch nicht eingerichtet")
    assert "\n" not in email.subject and "<" not in email.subject
    assert "<script>" not in email.html
    assert "Gesendete Erinnerungen: 3" in email.text


@pytest.mark.parametrize("reason", EXPLAINED_REASONS)
def test_each_known_alert_reason_has_its_own_explanation(brand: Brand, reason: str) -> None:
    email = compose_admin_alert(
        to=["admin@fabrikam.example"], reason=reason, occurred_at=WHEN, brand=brand
    )

    assert email.subject.startswith("[Tapstart] ")
    assert f"({reason})" in email.subject
    assert "Tapstart stopped processing a joiner" not in email.text  # not the generic text
    assert email.kind == "alert"


def test_alert_shows_tracking_id_reason_details_and_what_to_do(brand: Brand) -> None:
    email = compose_admin_alert(
        to=["admin@fabrikam.example", "ops@fabrikam.example"],
        reason="poison_message",
        occurred_at=WHEN,
        tracking_id="0f8fad5b-d9cb-469f-a165-70867728950e",
        details={"queue": "onboarding-poison", "dequeue_count": "5"},
        brand=brand,
    )

    assert email.to == ("admin@fabrikam.example", "ops@fabrikam.example")
    for body in (email.html, email.text):
        assert "0f8fad5b-d9cb-469f-a165-70867728950e" in body
        assert "poison queue" in body
        assert "send the HR event again" in body
        assert "onboarding-poison" in body
    assert "- dequeue_count: 5" in email.text
    assert "When: Monday, 5 January 2026, 07:30 (Europe/Berlin)" in email.text


def test_unknown_reason_gets_the_generic_text_and_escaped_details(brand: Brand) -> None:
    email = compose_admin_alert(
        to="admin@fabrikam.example",
        reason="graph_permission_missing",
        occurred_at=WHEN,
        details={"detail": "<img src=x onerror=alert(1)>"},
        brand=brand,
    )

    assert "(graph_permission_missing)" in email.subject
    assert "for the reason shown below" in email.text
    assert "<img src=x" not in email.html
    assert "&lt;img src=x onerror=alert(1)&gt;" in email.html


STAGES = {
    "en": {
        Stage.DELIVERED: ("the Temporary Access Pass has not been used yet", "sit with them"),
        Stage.TAP_USED: ("Microsoft Authenticator is not set up yet", "install Authenticator"),
        Stage.AUTHENTICATOR: ("phone sign-in is not turned on yet", "Enable phone sign-in"),
    },
    "de": {
        Stage.DELIVERED: ("Zugriffspass wurde noch nicht verwendet", "begleiten Sie die erste"),
        Stage.TAP_USED: ("Authenticator ist noch nicht eingerichtet", "Authenticator zu install"),
        Stage.AUTHENTICATOR: (
            "Anmeldung per Telefon ist noch nicht aktiviert",
            "Anmeldung per Telefon aktivieren",
        ),
    },
    "fr": {
        Stage.DELIVERED: ("n'a pas encore été utilisé", "accompagnez sa première connexion"),
        Stage.TAP_USED: ("Authenticator n'est pas encore configuré", "installer Authenticator"),
        Stage.AUTHENTICATOR: (
            "la connexion par téléphone n'est pas encore activée",
            "Activer la connexion par téléphone",
        ),
    },
}
STUCK_PREFIX = {
    "en": "Where Eve Example is stuck:",
    "de": "Wo Eve Example steht:",
    "fr": "Où en est Eve Example :",
}


def _notice(brand: Brand, **overrides: object) -> OutgoingEmail:
    values: dict[str, object] = {
        "to": "anna.boss@fabrikam.example",
        "joiner_name": "Eve Example",
        "joiner_upn": "eve@fabrikam.example",
        "hire_date": date(2026, 1, 5),
        "reminders_sent": 4,
        "brand": brand,
    }
    values.update(overrides)
    return compose_manager_final_notice(**values)  # type: ignore[arg-type]


def _in_both(email: OutgoingEmail, phrase: str) -> bool:
    return phrase in email.text and str(escape(phrase)) in email.html


@pytest.mark.parametrize("language", ["en", "de", "fr"])
@pytest.mark.parametrize("stage", [Stage.DELIVERED, Stage.TAP_USED, Stage.AUTHENTICATOR])
def test_final_notice_names_the_stage_and_its_fix(
    brand: Brand, language: str, stage: Stage
) -> None:
    email = _notice(brand, stuck_at=stage, language=language)

    label, fix = STAGES[language][stage]
    assert _in_both(email, STUCK_PREFIX[language])
    assert _in_both(email, label)
    assert _in_both(email, fix)
    for other, (other_label, _) in STAGES[language].items():
        if other is not stage:
            assert other_label not in email.text, other


def test_final_notice_without_a_stage_names_none(brand: Brand) -> None:
    email = _notice(brand)

    assert "is stuck" not in email.text
    assert "has not finished setting up passwordless sign-in yet" in email.text


def test_the_authenticator_fix_follows_the_targets(brand: Brand) -> None:
    default = _notice(brand, stuck_at=Stage.AUTHENTICATOR)
    phone_only = _notice(brand, stuck_at=Stage.AUTHENTICATOR, targets=(Target.PHONE_SIGN_IN,))
    passkey_only = _notice(brand, stuck_at=Stage.AUTHENTICATOR, targets=(Target.PASSKEY,))

    assert "another organisation's work account" in default.text
    assert "Adding a passkey in Microsoft Authenticator instead works too." in default.text
    assert "instead works too" not in phone_only.text
    assert 'chooses "Enable phone sign-in"' in default.text
    assert 'chooses "Enable phone sign-in"' not in passkey_only.text
    assert "there is no passkey yet" in passkey_only.text
    assert '"Passkey in Microsoft Authenticator"' in passkey_only.text


def test_the_tap_used_fix_names_the_support_contact(brand: Brand) -> None:
    email = _notice(brand, stuck_at=Stage.TAP_USED)

    assert "contact helpdesk@fabrikam.example for a new one; they can also check" in email.text
    assert 'href="mailto:helpdesk@fabrikam.example"' in email.html
