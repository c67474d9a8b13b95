"""The reminder per nudge, in every language: the right action, the stuck step, clean headers."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
from markupsafe import escape

from shared.domain.email import OutgoingEmail
from shared.domain.passwordless import Nudge, Target
from shared.emails import TapStatus, compose_reminder
from shared.emails.common import Routes, describe_targets
from shared.emails.i18n import catalogue
from shared.rendering import Brand
from tests.unit.emails.conftest import PASSCODE

LANGUAGES = ("en", "de", "fr")
NUDGES = (Nudge.USE_PASS, Nudge.PASS_LAPSED, Nudge.TURN_ON_PHONE_SIGN_IN, Nudge.ADD_PASSKEY)
# (slot, is_last) for the three tones
TONES = ((1, False), (2, False), (4, True))


def _reminder(brand: Brand, **overrides: object) -> OutgoingEmail:
    values: dict[str, object] = {
        "to": "eve.private@mail.example",
        "slot": 1,
        "is_last": False,
        "brand": brand,
        "joiner_name": "Eve",
        "joiner_upn": "eve@fabrikam.example",
        "manager_name": "Anna Boss",
        "language": "en",
    }
    values.update(overrides)
    return compose_reminder(**values)  # type: ignore[arg-type]


def _in_both(email: OutgoingEmail, phrase: str) -> bool:
    """In the text part as written, and in the HTML part as escaped."""
    return phrase in email.text and str(escape(phrase)) in email.html


def _in_neither(email: OutgoingEmail, phrase: str) -> bool:
    return phrase not in email.text and str(escape(phrase)) not in email.html


# --- What each nudge asks for, per language ----------------------------------------------------

TURN_ON = {
    "en": ("Enable phone sign-in", "with only one work account", "Device Registration"),
    "de": (
        "Anmeldung per Telefon aktivieren",
        "nur mit einem einzigen Arbeitskonto",
        "Geräteregistrierung",
    ),
    "fr": (
        "Activer la connexion par téléphone",
        "qu'avec un seul compte professionnel",
        "Inscription de l'appareil",
    ),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_turn_on_phone_sign_in_gives_the_steps_and_the_one_account_caveat(
    brand: Brand, language: str
) -> None:
    email = _reminder(brand, nudge=Nudge.TURN_ON_PHONE_SIGN_IN, language=language)

    button, caveat, settings = TURN_ON[language]
    assert _in_both(email, button)
    assert _in_both(email, caveat)
    assert _in_both(email, settings)
    assert _in_both(email, "eve@fabrikam.example")  # "tap your work account: ..."
    # The one step left, not the whole setup again: no "enter the pass", no pass box.
    cat = catalogue(language)
    assert _in_neither(email, cat.text("steps.4"))
    assert _in_neither(email, cat.text("reminder.never_share", company="Fabrikam"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_turn_on_phone_sign_in_steps_are_in_order(brand: Brand, language: str) -> None:
    text = _reminder(brand, nudge=Nudge.TURN_ON_PHONE_SIGN_IN, language=language).text

    cat = catalogue(language)
    markers = [
        cat.text("phone_on.1"),
        cat.text("phone_on.2", upn="eve@fabrikam.example"),
        cat.text("phone_on.3"),
        cat.text("phone_on.4"),
    ]
    positions = [text.index(f"{n}. {marker}") for n, marker in enumerate(markers, start=1)]
    assert positions == sorted(positions)


AFTER_PHONE_SIGN_IN = {
    "en": ("not device management", '"Change" next to the default sign-in method', "system-pref"),
    "de": ("keine Geräteverwaltung", '"Ändern" neben der Standardanmeldemethode', "systembevorz"),
    "fr": (
        "pas une gestion de l'appareil",
        "« Modifier » à côté de la méthode de connexion par défaut",
        "préférée par le système",
    ),
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("nudge", [Nudge.USE_PASS, Nudge.TURN_ON_PHONE_SIGN_IN])
def test_phone_sign_in_reminders_explain_registration_and_the_default_method(
    brand: Brand, language: str, nudge: Nudge
) -> None:
    email = _reminder(brand, nudge=nudge, language=language)

    for phrase in AFTER_PHONE_SIGN_IN[language]:
        assert _in_both(email, phrase), phrase
    assert _in_both(email, "https://mysignins.microsoft.com/security-info")


USE_PASS = {
    "en": ("Install Microsoft Authenticator", "Enable phone sign-in", "Or add a passkey instead"),
    "de": (
        "Installieren Sie Microsoft Authenticator",
        "Anmeldung per Telefon aktivieren",
        "Oder fügen Sie stattdessen einen Passkey hinzu",
    ),
    "fr": (
        "Installez Microsoft Authenticator",
        "Activer la connexion par téléphone",
        "Ou ajoutez plutôt une clé d'accès",
    ),
}
QR = {
    "en": ("QR code", "on a computer"),
    "de": ("QR-Code", "an einem Computer"),
    "fr": ("code QR", "sur un ordinateur"),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_use_pass_sets_up_the_target_and_explains_the_qr_code(brand: Brand, language: str) -> None:
    email = _reminder(brand, nudge=Nudge.USE_PASS, language=language)

    for phrase in (*USE_PASS[language], *QR[language]):
        assert _in_both(email, phrase), phrase
    cat = catalogue(language)
    assert _in_both(email, cat.text("steps.4"))  # sign in with the pass
    assert _in_both(email, cat.text("reminder.never_share", company="Fabrikam"))


ONE_SITTING = {"en": "one sitting", "de": "in einem Durchgang", "fr": "d'une traite"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_one_time_pass_means_one_sitting(brand: Brand, language: str) -> None:
    one_time = _reminder(brand, tap_one_time=True, language=language)
    reusable = _reminder(brand, tap_one_time=False, language=language)
    unknown = _reminder(brand, language=language)

    assert _in_both(one_time, ONE_SITTING[language])
    assert _in_neither(reusable, ONE_SITTING[language])
    assert _in_neither(unknown, ONE_SITTING[language])
    assert _in_both(reusable, catalogue(language).text("reminder.note.multi_use"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_lapsed_pass_says_to_ask_the_manager(brand: Brand, language: str) -> None:
    email = _reminder(brand, nudge=Nudge.PASS_LAPSED, language=language)

    lapsed = {
        "en": "has expired or has been used up. Ask your manager Anna Boss",
        "de": "abgelaufen oder aufgebraucht. Fragen Sie Ihre Führungskraft Anna Boss",
        "fr": "a expiré ou a déjà servi. Demandez-en un nouveau à votre responsable Anna Boss",
    }[language]
    assert _in_both(email, lapsed)
    assert _in_both(email, "helpdesk@fabrikam.example")
    # then the whole setup again, for the new pass
    assert _in_both(email, catalogue(language).text("reminder.lapsed_then"))
    assert _in_both(email, USE_PASS[language][0])


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_lapsed_pass_that_was_reissued_points_to_the_fresh_one(
    brand: Brand, language: str
) -> None:
    email = _reminder(
        brand, nudge=Nudge.PASS_LAPSED, tap_status=TapStatus.REISSUED, language=language
    )

    fresh = {
        "en": "a fresh one has been sent to your manager Anna Boss",
        "de": "daher wurde ein neuer an Ihre Führungskraft Anna Boss gesendet",
        "fr": "un nouveau a donc été envoyé à votre responsable Anna Boss",
    }[language]
    assert _in_both(email, fresh)
    cat = catalogue(language)
    manager = cat.text("reminder.manager_named", name="Anna Boss")
    lapsed = cat.text("reminder.tap_lapsed", manager=manager, support="helpdesk@fabrikam.example")
    assert lapsed not in email.text  # "ask for a new one": the new one is already there
    assert lapsed in _reminder(brand, nudge=Nudge.PASS_LAPSED, language=language).text


def test_a_lapsed_pass_is_never_called_valid(brand: Brand) -> None:
    email = _reminder(
        brand,
        nudge=Nudge.PASS_LAPSED,
        tap_status=TapStatus.VALID,
        tap_valid_until=datetime(2026, 1, 5, 7, 0, tzinfo=UTC),
    )

    assert "valid until" not in email.text
    assert "has expired or has been used up" in email.text


ADD_PASSKEY = {
    "en": ("Passkey in Microsoft Authenticator", '"Create a passkey"', "Enable phone sign-in"),
    "de": ("Passkey in Microsoft Authenticator", '"Passkey erstellen"', "per Telefon aktivieren"),
    "fr": (
        "Clé d'accès dans Microsoft Authenticator",
        "« Créer une clé d'accès »",
        "Activer la connexion par téléphone",
    ),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_add_passkey_creates_a_passkey_in_authenticator(brand: Brand, language: str) -> None:
    email = _reminder(brand, nudge=Nudge.ADD_PASSKEY, targets=(Target.PASSKEY,), language=language)

    on_the_page, in_the_app, phone_sign_in = ADD_PASSKEY[language]
    assert _in_both(email, on_the_page)
    assert _in_both(email, in_the_app)
    assert _in_neither(email, phone_sign_in)  # not a target here: not offered
    assert _in_neither(email, catalogue(language).text("steps.4"))


# --- The final reminder names where the person is stuck ----------------------------------------

STUCK = {
    "en": {
        Nudge.USE_PASS: "Where you are now: the first step is still open.",
        Nudge.PASS_LAPSED: "Where you are now: your Temporary Access Pass no longer works",
        Nudge.TURN_ON_PHONE_SIGN_IN: "phone sign-in is not turned on yet",
        Nudge.ADD_PASSKEY: "you have not added a passkey yet",
    },
    "de": {
        Nudge.USE_PASS: "Ihr aktueller Stand: Der erste Schritt ist noch offen.",
        Nudge.PASS_LAPSED: "Ihr aktueller Stand: Ihr Befristeter Zugriffspass funktioniert nicht",
        Nudge.TURN_ON_PHONE_SIGN_IN: "die Anmeldung per Telefon ist noch nicht aktiviert",
        Nudge.ADD_PASSKEY: "Sie haben noch keinen Passkey hinzugefügt",
    },
    "fr": {
        Nudge.USE_PASS: "Où vous en êtes : la première étape reste à faire.",
        Nudge.PASS_LAPSED: "Où vous en êtes : votre passe d'accès temporaire ne fonctionne plus",
        Nudge.TURN_ON_PHONE_SIGN_IN: "la connexion par téléphone n'est pas encore activée",
        Nudge.ADD_PASSKEY: "vous n'avez pas encore ajouté de clé d'accès",
    },
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("nudge", NUDGES)
def test_the_last_reminder_names_the_stuck_step(brand: Brand, language: str, nudge: Nudge) -> None:
    last = _reminder(brand, slot=4, is_last=True, nudge=nudge, language=language)
    earlier = _reminder(brand, slot=2, nudge=nudge, language=language)

    assert _in_both(last, STUCK[language][nudge])
    for other, phrase in STUCK[language].items():
        if other is not nudge:
            assert _in_neither(last, phrase), other
    assert _in_neither(earlier, STUCK[language][nudge])


# --- Subjects and preheaders -------------------------------------------------------------------

_PREHEADER = re.compile(r'<div style="display:none;[^"]*">([^<]*)</div>')
_TITLE = re.compile(r"<title>([^<]*)</title>")


def _looks_like_passcode(value: str) -> bool:
    """A token of 8+ characters mixing letters and digits, or a run of 6+ digits."""
    for token in value.split():
        token = token.strip(".,:;!?()\"'«»")
        if len(token) >= 8 and re.search(r"\d", token) and re.search(r"[A-Za-z]", token):
            return True
    return re.search(r"\d{6,}", value) is not None


def test_the_passcode_detector_catches_passcodes() -> None:
    assert _looks_like_passcode(f"Your pass: {PASSCODE}")
    assert _looks_like_passcode("Code 48213907 inside")
    assert not _looks_like_passcode("Final reminder: set up passwordless sign-in for Fabrikam")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("nudge", NUDGES)
@pytest.mark.parametrize(("slot", "is_last"), TONES)
def test_subject_and_preheader_never_carry_a_passcode(
    brand: Brand, language: str, nudge: Nudge, slot: int, is_last: bool
) -> None:
    email = _reminder(
        brand,
        nudge=nudge,
        slot=slot,
        is_last=is_last,
        language=language,
        tap_status=TapStatus.VALID,
        tap_valid_until=datetime(2026, 1, 5, 7, 0, tzinfo=UTC),
        tap_one_time=True,
    )

    [preheader] = [html.unescape(p) for p in _PREHEADER.findall(email.html)]
    [title] = [html.unescape(t) for t in _TITLE.findall(email.html)]
    assert preheader == catalogue(language).text(f"reminder.preheader.{nudge.value}")
    assert title == email.subject
    for header in (email.subject, preheader):
        assert not _looks_like_passcode(header), header
        assert PASSCODE not in header


@pytest.mark.parametrize(
    ("nudge", "subject"),
    [
        (Nudge.USE_PASS, "Set up passwordless sign-in for your Fabrikam account"),
        (Nudge.PASS_LAPSED, "Your Temporary Access Pass has expired: get a new one for your"),
        (Nudge.TURN_ON_PHONE_SIGN_IN, "One step left: turn on phone sign-in for your Fabrikam"),
        (Nudge.ADD_PASSKEY, "One step left: add a passkey to your Fabrikam account"),
    ],
)
def test_the_subject_follows_the_nudge(brand: Brand, nudge: Nudge, subject: str) -> None:
    assert _reminder(brand, nudge=nudge).subject.startswith(subject)


def test_later_subjects_keep_their_reminder_prefix_for_every_nudge(brand: Brand) -> None:
    for nudge in NUDGES:
        assert _reminder(brand, nudge=nudge, slot=2).subject.startswith("Reminder: ")
        final = _reminder(brand, nudge=nudge, slot=4, is_last=True, language="de")
        assert final.subject.startswith("Letzte Erinnerung: ")


# --- Targets -----------------------------------------------------------------------------------


def test_no_reminder_for_a_joiner_who_is_done(brand: Brand) -> None:
    with pytest.raises(ValueError, match=r"Nudge\.NONE"):
        _reminder(brand, nudge=Nudge.NONE)


def test_targets_are_named_in_the_catalogues_words() -> None:
    en, de = catalogue("en"), catalogue("de")

    assert describe_targets(en, Routes.of((Target.PHONE_SIGN_IN, Target.PASSKEY))) == (
        "phone sign-in in Microsoft Authenticator or a passkey "
        "(in Microsoft Authenticator or on a security key)"
    )
    all_three = Routes.of(
        (Target.WINDOWS_HELLO, Target.AUTHENTICATOR_PASSKEY, Target.PHONE_SIGN_IN)
    )
    assert describe_targets(de, all_three) == (
        "die Anmeldung per Telefon in Microsoft Authenticator, einen Passkey in Microsoft "
        "Authenticator oder Windows Hello for Business auf Ihrem Arbeitscomputer"
    )
    # "any passkey" includes Authenticator's: named once
    both = Routes.of((Target.AUTHENTICATOR_PASSKEY, Target.PASSKEY))
    assert (
        describe_targets(en, both) == "a passkey (in Microsoft Authenticator or on a security key)"
    )
    with pytest.raises(ValueError):
        Routes.of(())


def test_phone_sign_in_only_offers_no_passkey(brand: Brand) -> None:
    use_pass = _reminder(brand, targets=(Target.PHONE_SIGN_IN,))
    turn_on = _reminder(brand, nudge=Nudge.TURN_ON_PHONE_SIGN_IN, targets=(Target.PHONE_SIGN_IN,))

    for email in (use_pass, turn_on):
        assert "passkey" not in email.text.lower()
        assert "Enable phone sign-in" in email.text
    assert "You are done once you have set up phone sign-in in Microsoft Authenticator." in (
        use_pass.text
    )


def test_passkey_only_targets_lead_with_the_passkey(brand: Brand) -> None:
    email = _reminder(brand, targets=(Target.AUTHENTICATOR_PASSKEY,))

    assert _in_neither(email, "Enable phone sign-in")
    assert _in_neither(email, "device registration")
    text = email.text
    steps = [
        "1. Install Microsoft Authenticator",
        "2. Open the security-info page (https://mysignins.microsoft.com/security-info) "
        "and sign in with your work account and the Temporary Access Pass.",
        '3. Choose "Add sign-in method", then "Passkey in Microsoft Authenticator".',
        "4. Follow the prompts",
    ]
    positions = [text.index(step) for step in steps]
    assert positions == sorted(positions)
    assert "security key" not in text  # Authenticator's passkey only


def test_windows_hello_is_offered_when_it_is_a_target(brand: Brand) -> None:
    with_hello = _reminder(brand, targets=(Target.PHONE_SIGN_IN, Target.WINDOWS_HELLO))
    without = _reminder(brand)

    assert _in_both(with_hello, "Windows Hello for Business counts too")
    assert _in_neither(without, "Windows Hello")
