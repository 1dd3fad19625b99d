"""The console channel: chat as a participant in the terminal, through the whole stack."""

from __future__ import annotations

import uuid
from typing import TextIO

from bot.assistant import Assistant
from bot.types import Channel, Inbound


def console_address(participant_id: int) -> str:
    return str(participant_id)


def chat(
    assistant: Assistant, participant_id: int, stdin: TextIO, stdout: TextIO, *, interactive: bool
) -> int:
    """Read lines until end of input; each line is one message. Returns messages handled."""
    handled = 0
    address = console_address(participant_id)
    while True:
        if interactive:
            stdout.write("you> ")
            stdout.flush()
        line = stdin.readline()
        if not line:
            break
        text = line.rstrip("\r\n")
        step = assistant.handle(
            Inbound(Channel.CONSOLE, address, text, external_id=f"console-{uuid.uuid4().hex}")
        )
        handled += 1
        if not interactive:
            stdout.write(f"you> {text}\n")
        for reply in step.replies:
            stdout.write(_indent(reply) + "\n")
        if not step.replies:
            stdout.write("  (no reply)\n")
        stdout.flush()
    return handled


def _indent(reply: str) -> str:
    lines = reply.splitlines() or [""]
    return "\n".join([f"bot> {lines[0]}", *(f"     {line}" for line in lines[1:])])
