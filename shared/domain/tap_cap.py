"""The hourly TAP cap, split into shards so that concurrent workers do not all race for one
counter (a single ETag-guarded entity loses most updates under a burst, and more with every
instance added).

Each shard counts at most its allowance; the allowances add up to the cap exactly, so the cap
holds however the takers spread over the shards. A taker tries a random shard that it has not
seen full, and another one when it is full or the race for it was lost, so near the cap a take
costs a few more reads, never an extra pass.
"""

from __future__ import annotations

MAX_SHARDS = 16


def shard_allowances(cap: int, shards: int = MAX_SHARDS) -> tuple[int, ...]:
    """How many of the hour's `cap` passes each shard may count: the cap spread as evenly as it
    goes over at most `shards` shards, none of them empty. No shard at all for a cap of 0."""
    if cap <= 0:
        return ()
    count = max(1, min(shards, cap))
    base, extra = divmod(cap, count)
    return tuple(base + (1 if index < extra else 0) for index in range(count))


def shard_row(hour_key: str, shard: int) -> str:
    """The counter's row key: after the hour's own, so that `RowKey lt <hour>` selects whole
    past hours (pruning) and `[hour, hour + '~')` one hour's shards."""
    return f"{hour_key}-{shard:02d}"


def hour_range(hour_key: str) -> tuple[str, str]:
    """Row keys of one hour's counters, from `hour_key` (inclusive) to the returned end."""
    return hour_key, hour_key + "~"
