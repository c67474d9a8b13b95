from __future__ import annotations

from shared.domain.recipients import RecipientRule, choose_reminder_recipients

MANAGER = "anna.boss@fabrikam.example"
WORK = "eve@fabrikam.example"


def test_personal_email_from_the_hr_event_comes_first() -> None:
    chosen = choose_reminder_recipients(
        personal_email="eve.private@mail.example",
        other_mails=["eve@other.example"],
        work_mail=WORK,
        manager_mail=MANAGER,
    )

    assert chosen is not None
    assert chosen.to == ("eve.private@mail.example",)
    assert chosen.cc == ()
    assert chosen.rule is RecipientRule.PERSONAL_EMAIL


def test_then_the_first_valid_directory_other_mail() -> None:
    chosen = choose_reminder_recipients(
        personal_email="not an address",
        other_mails=["", "broken@", "eve@other.example", "second@other.example"],
        work_mail=WORK,
        manager_mail=MANAGER,
    )

    assert chosen is not None
    assert chosen.to == ("eve@other.example",)
    assert chosen.rule is RecipientRule.OTHER_MAILS


def test_then_the_work_mail_with_the_manager_copied() -> None:
    chosen = choose_reminder_recipients(
        personal_email=None, other_mails=[], work_mail=WORK, manager_mail=MANAGER
    )

    assert chosen is not None
    assert chosen.to == (WORK,)
    assert chosen.cc == (MANAGER,)
    assert chosen.rule is RecipientRule.WORK_MAIL_AND_MANAGER


def test_manager_alone_when_the_joiner_has_no_mail_at_all() -> None:
    chosen = choose_reminder_recipients(
        personal_email=None, other_mails=[], work_mail=None, manager_mail=MANAGER
    )

    assert chosen is not None and chosen.to == (MANAGER,) and chosen.cc == ()


def test_nobody_reachable() -> None:
    assert (
        choose_reminder_recipients(
            personal_email=None, other_mails=["x"], work_mail=None, manager_mail=None
        )
        is None
    )


def test_manager_copied_from_the_nth_reminder_on() -> None:
    early = choose_reminder_recipients(
        personal_email="eve.private@mail.example",
        other_mails=[],
        work_mail=WORK,
        manager_mail=MANAGER,
        cc_manager=False,
    )
    late = choose_reminder_recipients(
        personal_email="eve.private@mail.example",
        other_mails=[],
        work_mail=WORK,
        manager_mail=MANAGER,
        cc_manager=True,
    )

    assert early is not None and early.cc == ()
    assert late is not None and late.cc == (MANAGER,)


def test_manager_is_not_copied_twice_on_the_same_address() -> None:
    chosen = choose_reminder_recipients(
        personal_email=MANAGER.upper(),
        other_mails=[],
        work_mail=None,
        manager_mail=MANAGER,
        cc_manager=True,
    )

    assert chosen is not None and chosen.cc == ()


def test_header_injection_in_an_hr_address_is_not_a_valid_address() -> None:
    chosen = choose_reminder_recipients(
        personal_email="eve@mail.example\r\nBcc: thief@evil.example",
        other_mails=[],
        work_mail=WORK,
        manager_mail=None,
    )

    assert chosen is not None and chosen.to == (WORK,)


def test_masked_form_names_the_rule_and_hides_the_addresses() -> None:
    chosen = choose_reminder_recipients(
        personal_email=None, other_mails=[], work_mail=WORK, manager_mail=MANAGER
    )

    assert chosen is not None
    assert (
        chosen.masked == "work_mail_and_manager: e***e@fabrikam.example (cc a***s@fabrikam.example)"
    )
    assert WORK not in chosen.masked and MANAGER not in chosen.masked


def test_an_address_the_mail_service_would_refuse_is_passed_over() -> None:
    # Each passes a loose "x@y.z" check, and ACS refuses each (shared/domain/email_address).
    chosen = choose_reminder_recipients(
        personal_email="eve..private@mail.example",
        other_mails=["jörg@other.example", ".eve@other.example"],
        work_mail=WORK,
        manager_mail="anna.@fabrikam.example",
    )

    assert chosen is not None
    assert chosen.to == (WORK,)
    assert chosen.cc == ()  # the manager's address is refused too: not copied
