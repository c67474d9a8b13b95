"""Function keys as Azure has them: per-function keys, host keys and the master key.

An endpoint with auth level FUNCTION accepts a key of that function, any host key or the master
key; ADMIN (and the admin API) accepts the master key only. Azure keeps the keys in its key store;
here they are app settings:

- `TAPSTART_MASTER_KEY`: the master key (generated and logged for the run when not set);
- `TAPSTART_FUNCTION_KEYS`: host keys, comma-separated;
- `TAPSTART_FUNCTION_KEYS_<FUNCTION>`: the keys of one function, comma-separated, `<FUNCTION>`
  being its name upper-cased with anything but letters and digits turned into `_`
  (`hr_events` -> `TAPSTART_FUNCTION_KEYS_HR_EVENTS`).
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

log = logging.getLogger("local.host")

MASTER_KEY_SETTING = "TAPSTART_MASTER_KEY"
HOST_KEYS_SETTING = "TAPSTART_FUNCTION_KEYS"
_NOT_ALPHANUMERIC = re.compile(r"[^A-Za-z0-9]")


def function_keys_setting(function_name: str) -> str:
    """The app setting that holds one function's own keys."""
    return f"{HOST_KEYS_SETTING}_{_NOT_ALPHANUMERIC.sub('_', function_name).upper()}"


def _key_list(value: str) -> frozenset[str]:
    return frozenset(k for k in (part.strip() for part in value.split(",")) if k)


def _same(a: str, b: str) -> bool:
    return bool(b) and hmac.compare_digest(a.encode(), b.encode())


@dataclass(frozen=True)
class Keys:
    master_key: str
    host_keys: frozenset[str] = frozenset()
    function_keys: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def allows(self, auth_level: str, function_name: str, presented: str | None) -> bool:
        """Whether `presented` opens `function_name`, an endpoint of level `auth_level`."""
        if not presented:
            return False
        if _same(presented, self.master_key):
            return True
        if auth_level.upper() != "FUNCTION":
            return False  # ADMIN: the master key only
        own = self.function_keys.get(function_name, frozenset())
        return any(_same(presented, key) for key in (*own, *self.host_keys))

    def allows_admin(self, presented: str | None) -> bool:
        """The admin API (`/admin/functions/...`): the master key only."""
        return self.allows("ADMIN", "", presented)


def keys_from(settings: Mapping[str, str], function_names: Iterable[str]) -> Keys:
    """The keys the settings define for these functions.

    A `TAPSTART_FUNCTION_KEYS_<NAME>` setting that names none of the functions is logged, since it
    is most likely a typo that would leave the intended function without its key.
    """
    master = settings.get(MASTER_KEY_SETTING, "")
    if not master:
        master = secrets.token_urlsafe(24)
        log.warning("%s not set; generated master key for this run: %s", MASTER_KEY_SETTING, master)
    names = list(function_names)
    by_setting = {function_keys_setting(name): name for name in names}
    function_keys = {
        name: keys
        for setting, name in by_setting.items()
        if (keys := _key_list(settings.get(setting, "")))
    }
    prefix = HOST_KEYS_SETTING + "_"
    for setting in sorted(s for s in settings if s.startswith(prefix) and s not in by_setting):
        log.warning("%s names no function of this app (functions: %s)", setting, ", ".join(names))
    return Keys(
        master_key=master,
        host_keys=_key_list(settings.get(HOST_KEYS_SETTING, "")),
        function_keys=function_keys,
    )
