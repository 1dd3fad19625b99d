"""The floor: the least a webhook can do. Parse a Twilio-shaped form, insert one row in
SQLite (WAL), answer a fixed TwiML reply. Nothing real can be faster than this. (And
the same for a Telegram update: parse the JSON, insert one row, answer 200.)

`python -m bench.floor DB --host H --port P` runs it under uvicorn with the settings
`touchpoint serve` uses (bot/web/server.py: one process, uvicorn's default logging,
no proxy headers, no server header)."""

from __future__ import annotations

import argparse
import json
import sqlite3
import time
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Got it.</Message></Response>'
SCHEMA = """
CREATE TABLE IF NOT EXISTS message (
    id INTEGER PRIMARY KEY,
    external_id TEXT NOT NULL UNIQUE,
    address TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at REAL NOT NULL
)
"""


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")  # what Touchpoint's store uses
    conn.execute(SCHEMA)
    return conn


def create_app(path: Path) -> Starlette:
    conn = connect(path)

    async def inbound(request: Request) -> Response:
        form = await request.form()
        conn.execute(
            "INSERT INTO message (external_id, address, body, created_at) VALUES (?, ?, ?, ?)",
            (str(form["MessageSid"]), str(form["From"]), str(form["Body"]), time.time()),
        )
        return Response(TWIML, media_type="application/xml")

    async def telegram(request: Request) -> Response:
        update = json.loads(await request.body())
        message = update["message"]
        conn.execute(
            "INSERT INTO message (external_id, address, body, created_at) VALUES (?, ?, ?, ?)",
            (str(update["update_id"]), str(message["chat"]["id"]), message["text"], time.time()),
        )
        return Response("")

    async def healthz(_request: Request) -> Response:
        return Response("ok")

    return Starlette(
        routes=[
            Route("/webhooks/twilio/sms", inbound, methods=["POST"]),
            Route("/webhooks/telegram", telegram, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.floor")
    parser.add_argument("database", type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    args = parser.parse_args(argv)
    uvicorn.run(
        create_app(args.database),
        host=args.host,
        port=args.port,
        proxy_headers=False,
        server_header=False,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
