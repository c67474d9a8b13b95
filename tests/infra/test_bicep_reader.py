"""The small Bicep reader behind the consistency checks, on the syntax that could fool it."""

from __future__ import annotations

import pytest

from tests.infra.consistency import (
    BicepSyntaxError,
    app_settings_in_bicep,
    bicep_literal,
    binding_connections,
    binding_setting_references,
    missing_settings,
    storage_names_in_bicep,
    storage_names_used,
    tokenize,
)


def test_strings_keep_escapes_and_flag_interpolation() -> None:
    tokens = tokenize(r"x: 'it\'s ${a ? '}' : 'b'} done' // 'not a string'")
    strings = [t for t in tokens if t.kind == "string"]
    assert len(strings) == 1
    assert strings[0].interpolated
    assert [t.value for t in tokens if t.kind == "ident"] == ["x"]


def test_comments_and_multiline_strings_hide_their_content() -> None:
    text = "/* appSettings: { HIDDEN: 'x' } */\nvar s = '''\nappSettings: { ALSO_HIDDEN: 1 }\n'''\n"
    assert app_settings_in_bicep(text) == {}


def test_unterminated_string_is_an_error_not_a_silent_pass() -> None:
    with pytest.raises(BicepSyntaxError):
        tokenize("var a = 'open")


def test_settings_from_union_of_vars_and_items_loop() -> None:
    text = """
param overrides object = {}
var mine = {
  A: 'one'
  'B': cond ? 'x' : 'y'   // comment
  C: '${prefix}-c'
}
var host = { D: 1, E: f(x, { nested: 'no' }) }
var appSettings = union(mine, overrides, host)
resource site 'Microsoft.Web/sites@2024-04-01' = {
  properties: {
    siteConfig: {
      appSettings: [for s in items(appSettings): {
        name: s.key
        value: s.value
      }]
    }
  }
}
"""
    settings = app_settings_in_bicep(text)
    assert set(settings) == {"A", "B", "C", "D", "E"}
    assert bicep_literal(settings["A"]) == "one"
    assert bicep_literal(settings["C"]) is None  # interpolated: not a literal
    assert "nested" not in settings


def test_settings_from_name_value_array_and_config_resource() -> None:
    text = """
resource site 'Microsoft.Web/sites@2024-04-01' = {
  properties: {
    siteConfig: {
      appSettings: [
        { name: 'X', value: 'x' }
        {
          name: 'Y'
          value: y
        }
      ]
    }
  }
}
resource cfg 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: {
    Z: 'z'
  }
}
"""
    assert set(app_settings_in_bicep(text)) == {"X", "Y", "Z"}


def test_storage_names_literal_loop_conditional_and_existing() -> None:
    text = """
var extra = [
  'looped-a'
  'looped-b'
]
resource q1 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  parent: qs
  name: 'plain'
}
resource q2 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [for n in extra: {
  parent: qs
  name: n
}]
resource q3 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = if (on) {
  parent: qs
  name: 'conditional'
}
resource q4 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' existing = {
  name: 'only-referenced'
}
resource q5 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = {
  name: '${prefix}-dynamic'
}
resource t 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = {
  name: 'Ledger'
}
"""
    names = storage_names_in_bicep(text)
    assert names["queue"] == {"plain", "looped-a", "looped-b", "conditional"}
    assert names["table"] == {"Ledger"}
    assert names["container"] == set()


def test_bindings_give_references_connections_and_poison_queues() -> None:
    bindings = [
        {"type": "queueTrigger", "queueName": "%Q%", "connection": "Other"},
        {"type": "queueTrigger", "queueName": "%Q%-poison", "connection": "AzureWebJobsStorage"},
        {"type": "queue", "direction": "OUT", "queueName": "audit"},
        {"type": "timerTrigger", "schedule": "%SCHEDULE%"},
    ]
    assert binding_setting_references(bindings) == {"Q", "SCHEDULE"}
    assert binding_connections(bindings) == {"AzureWebJobsStorage", "Other"}
    used = storage_names_used({"Q": "work", "SCHEDULE": "0 * * * * *", "T_TABLE": "Tab"}, bindings)
    assert used["queue"] == {"work", "work-poison", "audit"}
    assert used["table"] == {"Tab"}


def test_connections_accept_a_connection_string_or_the_identity_form() -> None:
    assert missing_settings({"A"}, {"Conn"}, {"A", "Conn"}) == []
    assert missing_settings({"A"}, {"Conn"}, {"A", "Conn__accountName"}) == []
    assert missing_settings({"A"}, {"Conn"}, {"Conn__clientId"}) == [
        "A",
        "Conn (or Conn__accountName)",
    ]
