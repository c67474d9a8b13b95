"""`tapstart poison list|replay|discard [--queue onboarding|reminders] [--id ID ...] [--all]`.

replay: the body goes back on the main queue (Base64, as the trigger expects) and leaves the
poison queue; discard: it leaves the poison queue. Both need --id or --all, so a typo never
empties a queue.
"""

from __future__ import annotations

import argparse
import json

from shared.adapters.poison_queues import PEEK_MAX, PoisonMessage, PoisonQueues
from shared.adapters.threads import in_thread
from shared.cli.context import CliContext, UsageError
from shared.cli.output import table


def _queues(ctx: CliContext, which: str) -> tuple[str, str]:
    main = ctx.settings.onboarding_queue if which == "onboarding" else ctx.settings.reminder_queue
    return main, f"{main}-poison"


async def poison(ctx: CliContext, args: argparse.Namespace) -> int:
    main, poisoned = _queues(ctx, args.queue)
    queues = PoisonQueues(ctx.settings.require_storage())
    try:
        return await _act(ctx, args, queues, main, poisoned)
    finally:
        queues.close()


async def _act(
    ctx: CliContext, args: argparse.Namespace, queues: PoisonQueues, main: str, poisoned: str
) -> int:
    if args.action == "list":
        return await _list(queues, poisoned, args.json)
    ids = set(args.id) if args.id else None
    if ids is None and not args.all:
        raise UsageError(f"poison {args.action} needs --id ID (repeatable) or --all")
    replay = args.action == "replay"

    def act(message: PoisonMessage) -> None:
        if replay:
            queues.send_base64(main, message.body)
        ctx.progress(f"{'replayed' if replay else 'discarded'} {message.id}")

    done = await in_thread(queues.take, poisoned, ids, act)
    missing = sorted((ids or set()) - {m.id for m in done})
    verb = f"replayed onto {main}" if replay else "discarded"
    print(f"{len(done)} message(s) {verb} from {poisoned}")
    if missing:
        print("not found: " + ", ".join(missing))
        return 1
    return 0


async def _list(queues: PoisonQueues, poisoned: str, as_json: bool) -> int:
    messages = await in_thread(queues.peek, poisoned)
    total = await in_thread(queues.count, poisoned)
    if as_json:
        rows = [
            {
                "id": m.id,
                "insertedOn": m.inserted_on.isoformat() if m.inserted_on else None,
                "dequeueCount": m.dequeue_count,
                "trackingId": m.tracking_id or None,
                "body": m.body,
            }
            for m in messages
        ]
        print(
            json.dumps({"queue": poisoned, "approximateCount": total, "messages": rows}, indent=2)
        )
        return 0
    if not messages:
        print(f"{poisoned} is empty")
        return 0
    table(
        ["id", "inserted (UTC)", "tracking id", "body"],
        [
            [
                m.id,
                m.inserted_on.isoformat(timespec="seconds") if m.inserted_on else "",
                m.tracking_id,
                m.body,
            ]
            for m in messages
        ],
        wrap=(3,),
    )
    more = f" (showing the first {PEEK_MAX})" if total > len(messages) else ""
    print(f"\n{total} message(s) in {poisoned}{more}")
    return 0
