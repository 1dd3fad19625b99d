"""What no request from outside can cause, caused from inside: a 500 still carries the
security headers, and says nothing of what went wrong. In-process, on the real app."""

from __future__ import annotations

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.channel_helpers import PUBLIC_URL, channel_settings, running_app
from tests.security.test_errors import assert_secured


async def _broken(_request: Request) -> Response:
    raise RuntimeError("a bug")


@pytest.mark.asyncio
async def test_a_crash_answers_500_with_the_security_headers(db_url: str) -> None:
    async with running_app(channel_settings(db_url)) as env:
        env.app.router.routes.append(Route("/broken", _broken))
        # As a server does: the exception is logged, the answer already sent.
        transport = httpx.ASGITransport(app=env.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as client:
            response = await client.get("/broken")
    assert response.status_code == 500
    assert "a bug" not in response.text
    assert_secured(response)


@pytest.mark.asyncio
async def test_metrics_are_not_there_without_a_token(db_url: str) -> None:
    async with running_app(channel_settings(db_url, metrics_token=None)) as env:
        response = await env.client.get("/metrics", headers={"Authorization": "Bearer "})
    assert response.status_code == 404
    assert "touchpoint_" not in response.text
