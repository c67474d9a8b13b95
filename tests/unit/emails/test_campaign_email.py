"""The campaign email per path, in every language: the path's steps in order, the guide's
caveats, the stop line naming the service desk, branding, and clean headers."""

from __future__ import annotations

import pytest
from markupsafe import escape

from shared.domain.campaign import CampaignPath
from shared.domain.email import OutgoingEmail
from shared.domain.passwordless import Target
from shared.emails.campaign import compose_campaign_email
from shared.emails.i18n import catalogue
from shared.rendering import Brand
from tests.unit.emails.conftest import HOSTILE_NAME

LANGUAGES = ("en", "de", "fr")
PATHS = tuple(CampaignPath)
UPN = "eve@fabrikam.example"


def _email(brand: Brand, path: CampaignPath, **overrides: object) -> OutgoingEmail:
    values: dict[str, object] = {
        "to": UPN,
        "path": path,
        "step": 1,
        "is_last": False,
        "brand": brand,
        "user_name": "Eve",
        "upn": UPN,
        "language": "en",
    }
    values.update(overrides)
    return compose_campaign_email(**values)  # type: ignore[arg-type]


def _in_both(email: OutgoingEmail, phrase: str) -> bool:
    return phrase in email.text and str(escape(phrase)) in email.html


def _in_neither(email: OutgoingEmail, phrase: str) -> bool:
    return phrase not in email.text and str(escape(phrase)) not in email.html


def _numbered(text: str, phrases: list[str]) -> bool:
    positions = [text.find(f"{n}. {p}") for n, p in enumerate(phrases, start=1)]
    return -1 not in positions and positions == sorted(positions)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("path", PATHS)
def test_every_path_is_branded_localized_and_carries_the_caveats(
    brand: Brand, path: CampaignPath, language: str
) -> None:
    email = _email(brand, path, language=language)
    cat = catalogue(language)
    assert email.kind == "campaign" and email.to == (UPN,)
    assert f'<html lang="{language}">' in email.html
    assert "https://cdn.fabrikam.example/logo.png" in email.html  # the brand's logo
    assert "Fabrikam" in email.subject
    assert _in_both(email, cat.text("campaign.intro.first", company="Fabrikam"))
    # The guide's caveats: one work account's phone sign-in per phone; MFA or a TAP satisfies
    # the "register security info" requirement.
    assert _in_both(email, cat.text("phone_on.one_account"))
    assert _in_both(email, cat.text("campaign.note.security_info"))
    # The stop line names the service desk (a mailto link in HTML).
    stop = cat.text("campaign.stop", support="helpdesk@fabrikam.example")
    assert stop in email.text
    assert 'href="mailto:helpdesk@fabrikam.example"' in email.html
    assert email.html.count("mailto:helpdesk@fabrikam.example") >= 2  # help + stop (+ footer)
    assert _in_both(email, "https://mysignins.microsoft.com/security-info")


@pytest.mark.parametrize("language", LANGUAGES)
def test_in_app_walks_through_authenticator_with_the_current_method(
    brand: Brand, language: str
) -> None:
    email = _email(brand, CampaignPath.IN_APP, language=language)
    cat = catalogue(language)
    steps = [
        cat.text("steps.1"),
        cat.text("steps.2"),
        cat.text("steps.3", upn=UPN),
        cat.text("campaign.in_app.sign_in"),
        cat.text("steps.5"),
        cat.text("steps.6"),
    ]
    assert _numbered(email.text, steps)
    assert _in_both(email, cat.text("campaign.lead.in_app"))
    assert _in_neither(email, cat.text("steps.4"))  # no pass on this path


@pytest.mark.parametrize("language", LANGUAGES)
def test_turn_on_phone_sign_in_is_the_one_step_left(brand: Brand, language: str) -> None:
    email = _email(brand, CampaignPath.TURN_ON_PHONE_SIGN_IN, language=language)
    cat = catalogue(language)
    steps = [
        cat.text("phone_on.1"),
        cat.text("phone_on.2", upn=UPN),
        cat.text("phone_on.3"),
        cat.text("phone_on.4"),
    ]
    assert _numbered(email.text, steps)
    assert _in_neither(email, cat.text("steps.1"))  # Authenticator is already installed


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_tap_path_asks_for_a_pass_in_person(brand: Brand, language: str) -> None:
    email = _email(brand, CampaignPath.TAP_PATH, language=language, manager_name="Anna Boss")
    cat = catalogue(language)
    manager = cat.text("reminder.manager_named", name="Anna Boss")
    assert cat.text("campaign.tap.ask", manager=manager, support="helpdesk@fabrikam.example") in (
        email.text
    )
    assert _in_both(email, cat.text("campaign.lead.tap_path"))
    assert _in_both(email, cat.text("reminder.never_share", company="Fabrikam"))
    assert _numbered(email.text, [cat.text("steps.1"), cat.text("steps.2")])
    assert cat.text("steps.4") in email.text  # enter the pass they were handed


def test_passkeys_as_the_only_target_end_in_a_passkey(brand: Brand) -> None:
    email = _email(brand, CampaignPath.IN_APP, targets=(Target.PASSKEY,))
    cat = catalogue("en")
    assert _numbered(
        email.text,
        [
            cat.text("steps.1"),
            cat.text(
                "campaign.passkey.sign_in", url="https://mysignins.microsoft.com/security-info"
            ),
            cat.text("passkey.add"),
        ],
    )
    assert _in_neither(email, cat.text("phone_on.one_account"))
    assert _in_neither(email, cat.text("steps.6"))
    assert _in_both(email, cat.text("passkey.security_key"))
    assert _in_both(email, cat.text("campaign.note.security_info"))


def test_a_phone_sign_in_path_offers_a_passkey_instead_when_it_counts(brand: Brand) -> None:
    cat = catalogue("en")
    with_passkey = _email(brand, CampaignPath.TURN_ON_PHONE_SIGN_IN)  # default targets
    only_phone = _email(brand, CampaignPath.TURN_ON_PHONE_SIGN_IN, targets=(Target.PHONE_SIGN_IN,))
    assert _in_both(with_passkey, cat.text("passkey.heading_instead"))
    assert _in_neither(only_phone, cat.text("passkey.heading_instead"))


@pytest.mark.parametrize(
    ("step", "is_last", "start"),
    [(1, False, "Sign in to your"), (2, False, "Reminder:"), (3, True, "Last reminder:")],
)
def test_tone_follows_the_step(brand: Brand, step: int, is_last: bool, start: str) -> None:
    email = _email(brand, CampaignPath.IN_APP, step=step, is_last=is_last)
    assert email.subject.startswith(start)


def test_a_hostile_name_is_escaped_and_headers_stay_one_line(brand: Brand) -> None:
    email = _email(brand, CampaignPath.TAP_PATH, user_name=HOSTILE_NAME, manager_name=HOSTILE_NAME)
    assert "<script>" not in email.html
    assert "&lt;script&gt;" in email.html
    assert "\r" not in email.text
    assert "\n" not in email.subject and "\r" not in email.subject
    assert not any(line.startswith("Bcc:") for line in email.text.splitlines())


def test_the_language_falls_back_to_the_brands_default(brand: Brand) -> None:
    email = _email(brand, CampaignPath.IN_APP, language="xx-YY")
    assert email.subject == catalogue("en").text(
        "campaign.subject.in_app.first", company="Fabrikam"
    )
