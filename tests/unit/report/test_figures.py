from __future__ import annotations

from typing import Any

from shared.domain.registration import REGISTRATION_SELECT, row_from_json
from shared.report.figures import (
    PASSWORDLESS_METHODS,
    PHISHING_RESISTANT_METHODS,
    TenantAggregator,
    TenantFigures,
)
from tests.unit.report.tenant_rows import EXPECTED, PAGES, ROWS
from tests.unit.report.test_csv_export import TRICKY_ROWS


def _aggregate(pages: list[list[dict[str, Any]]]) -> TenantFigures:
    aggregator = TenantAggregator()
    for page in pages:
        aggregator.add_page(row_from_json(row) for row in page)
    return aggregator.result()


def test_counts_over_three_pages_match_the_hand_count() -> None:
    figures = _aggregate(PAGES)

    assert figures.users == EXPECTED["users"]
    assert figures.members == EXPECTED["members"]
    assert figures.guests == EXPECTED["guests"]
    assert figures.admins == EXPECTED["admins"]
    assert figures.mfa_registered == EXPECTED["mfa_registered"]
    assert figures.mfa_capable == EXPECTED["mfa_capable"]
    assert figures.passwordless_capable == EXPECTED["passwordless_capable"]
    assert figures.sspr_registered == EXPECTED["sspr_registered"]
    assert figures.phishing_resistant == EXPECTED["phishing_resistant"]
    assert figures.no_methods == EXPECTED["no_methods"]
    assert figures.pages == EXPECTED["pages"]
    assert figures.by_method == EXPECTED["by_method"]


def test_percentages_are_of_all_users_covered() -> None:
    figures = _aggregate(PAGES)

    assert figures.mfa_registered_pct == 70.0
    assert figures.mfa_capable_pct == 60.0
    assert figures.passwordless_capable_pct == 40.0
    assert figures.sspr_registered_pct == 30.0
    assert figures.phishing_resistant_pct == 30.0


def test_paging_does_not_change_the_figures() -> None:
    one_page = _aggregate([ROWS])
    three_pages = _aggregate(PAGES)
    single_rows = _aggregate([[row] for row in ROWS])

    assert one_page.to_json() | {"pages": 0} == three_pages.to_json() | {"pages": 0}
    assert single_rows.to_json() | {"pages": 0} == three_pages.to_json() | {"pages": 0}
    assert (one_page.pages, three_pages.pages, single_rows.pages) == (1, 3, 10)


def test_admins_without_a_strong_method_are_named_sorted_by_upn() -> None:
    figures = _aggregate(PAGES)

    assert [f.user_principal_name for f in figures.admin_findings] == EXPECTED["finding_upns"]
    bob = figures.admin_findings[0]
    assert bob.display_name == "Bob"
    assert bob.methods == ("microsoftAuthenticatorPush", "mobilePhone")
    assert figures.key_figures()["admins_without_strong_method"] == 2.0


def test_passwordless_push_alone_clears_an_admin_but_is_not_phishing_resistant() -> None:
    admin = {
        "userPrincipalName": "pat@contoso.example",
        "isAdmin": True,
        "methodsRegistered": ["microsoftAuthenticatorPasswordless"],
    }
    figures = _aggregate([[admin]])

    assert figures.admin_findings == ()
    assert figures.phishing_resistant == 0
    assert "microsoftAuthenticatorPasswordless" in PASSWORDLESS_METHODS
    assert "microsoftAuthenticatorPasswordless" not in PHISHING_RESISTANT_METHODS


def test_unknown_and_duplicate_methods_are_counted_once_and_never_as_strong() -> None:
    admin = {
        "userPrincipalName": "sam@contoso.example",
        "isAdmin": True,
        "methodsRegistered": ["qrCode", "qrCode", "", None],
    }
    figures = _aggregate([[admin]])

    assert figures.by_method == {"qrCode": 1}
    assert [f.user_principal_name for f in figures.admin_findings] == ["sam@contoso.example"]


def test_only_json_true_counts_as_a_flag() -> None:
    rows: list[dict[str, Any]] = [
        {"isMfaRegistered": "true"},
        {"isMfaRegistered": 1},
        {"isMfaRegistered": True},
    ]

    assert _aggregate([rows]).mfa_registered == 1


def test_every_row_reaches_the_sink_and_the_aggregator_keeps_no_rows() -> None:
    seen: list[str] = []
    aggregator = TenantAggregator(on_row=lambda row: seen.append(row.user_principal_name))
    for page in PAGES:
        aggregator.add_page([row_from_json(row) for row in page])

    assert seen == [row["userPrincipalName"] for row in ROWS]
    # Flat memory: besides counters, only the two finding rows are kept, as small records.
    held = [v for v in vars(aggregator).values() if isinstance(v, list)]
    assert sum(len(v) for v in held) == 2


def test_edge_rows_give_the_figures_the_raw_dict_aggregator_gave() -> None:
    # Captured by running the previous figures.py (which read raw dicts) on TRICKY_ROWS.
    figures = _aggregate([TRICKY_ROWS])

    assert figures.to_json() == {
        "users": 9,
        "members": 4,
        "guests": 1,
        "admins": 2,
        "mfaRegistered": 1,
        "mfaCapable": 1,
        "passwordlessCapable": 0,
        "ssprRegistered": 1,
        "phishingResistant": 2,
        "noMethods": 6,
        "byMethod": {
            "fido2SecurityKey": 1,
            "microsoftAuthenticatorPush": 1,
            "mobilePhone": 2,
            "windowsHelloForBusiness": 1,
        },
        "adminFindings": [
            {
                "userPrincipalName": "id-only",  # no UPN: the finding names the id
                "userDisplayName": "-Mallory",
                "methodsRegistered": ["mobilePhone"],
                "lastUpdatedDateTime": "",
            }
        ],
        "pages": 1,
    }


def test_figures_survive_a_json_round_trip() -> None:
    figures = _aggregate(PAGES)

    again = TenantFigures.from_json(figures.to_json())

    assert again == figures


def test_select_names_every_property_the_report_reads() -> None:
    read = {
        "isMfaRegistered",
        "isMfaCapable",
        "isPasswordlessCapable",
        "isSsprRegistered",
        "methodsRegistered",
        "isAdmin",
        "userType",
        "userPrincipalName",
        "userDisplayName",
        "lastUpdatedDateTime",
    }
    assert read <= set(REGISTRATION_SELECT)


def _synthetic_page(page: int, size: int = 500) -> list[dict[str, Any]]:
    return [
        {
            "userPrincipalName": f"u{page}-{i}@contoso.example",
            "isAdmin": i == 0,  # one admin per page, half of them a finding
            "isMfaRegistered": True,
            "methodsRegistered": ["microsoftAuthenticatorPush"]
            + (["fido2SecurityKey"] if page % 2 else []),
        }
        for i in range(size)
    ]


def _peak_bytes(pages: int) -> int:
    import tracemalloc

    aggregator = TenantAggregator()
    tracemalloc.start()
    for page in range(pages):
        aggregator.add_page(row_from_json(row) for row in _synthetic_page(page))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert aggregator.users == pages * 500
    return peak


def test_memory_does_not_grow_with_the_number_of_pages() -> None:
    small, large = _peak_bytes(4), _peak_bytes(40)

    # Ten times the users: the peak stays that of one page plus the few finding rows.
    assert large < small * 1.5
