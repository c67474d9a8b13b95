import logging

import pytest

from shared.logging_setup import ContextFilter, KeyValueFormatter, bound, redacting


def render(caplog: pytest.LogCaptureFixture) -> list[str]:
    formatter = KeyValueFormatter()
    return [formatter.format(r) for r in caplog.records]


@pytest.fixture
def logger(caplog: pytest.LogCaptureFixture) -> logging.Logger:
    caplog.handler.addFilter(ContextFilter())
    caplog.set_level(logging.INFO)
    return logging.getLogger("tapstart.test")


def test_bound_keys_appear_on_every_line_and_go_away_after(
    logger: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    with bound(tracking_id="t-123"):
        logger.info("first")
        logger.info("second with %s", "arg", extra={"step": "groups"})
    logger.info("outside")
    lines = render(caplog)
    assert "tracking_id=t-123" in lines[0]
    assert "step=groups" in lines[1] and "tracking_id=t-123" in lines[1]
    assert "tracking_id" not in lines[2]


def test_a_registered_secret_is_scrubbed_from_messages_and_arguments(
    logger: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    with redacting("Q7!x+drk"):
        logger.info("oops %s", "value Q7!x+drk leaked")
        logger.info("direct Q7!x+drk")
    text = "\n".join(render(caplog))
    assert "Q7!x+drk" not in text
    assert text.count("[redacted]") == 2
