"""on_timer: what the timer worker runs for each protocol timer that falls due."""

from __future__ import annotations

from acs.challenge import flow
from acs.challenge.timers import TimerKind
from acs.flows.rreq import send_rreq
from acs.services import Services


async def on_timer(services: Services, kind: TimerKind, acs_trans_id: str) -> None:
    """The RReq timer sends the next attempt; a challenge timer may end the challenge, and the
    RReq it then owes goes out at once."""
    if kind is TimerKind.RREQ:
        await send_rreq(services, acs_trans_id)
        return
    step = await flow.on_timer(services.challenge, kind, acs_trans_id)
    if step is not None and step.finished:
        await send_rreq(services, acs_trans_id, session=step.session)
