"""Root conftest: the local-stack fixtures live in tests/fixtures/*, one module per service."""

pytest_plugins = [
    "tests.fixtures.azurite",
    "tests.fixtures.graph",
    "tests.fixtures.acs",
    "tests.fixtures.host",
]
