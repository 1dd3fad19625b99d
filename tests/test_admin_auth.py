"""Signing in: passwords, sessions (fixation, replay after sign-out, expiry), CSRF,
throttling, one-time codes, security headers."""

from __future__ import annotations

import base64
import importlib.util
import re
from collections.abc import Iterator
from contextlib import contextmanager
from unittest.mock import patch

import pyotp
import pytest
from argon2 import PasswordHasher, profiles
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.admin import auth
from store.models import AdminSession, Practitioner, Team
from tests.admin_html import page_problems
from tests.admin_support import CHEAP, PASSWORD, Browser, World, admin_world

WRONG = "don't match an account"
THROTTLED = "Too many attempts"
# The module's own hasher, before `admin_world` swaps in the tests' cheap one.
REAL_HASHER = auth._hasher
ENCODED = re.compile(
    r"\$argon2id\$v=19\$m=(?P<m>\d+),t=(?P<t>\d+),p=(?P<p>\d+)\$(?P<salt>[^$]+)\$(?P<hash>[^$]+)"
)


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    with admin_world(db_url) as w:
        yield w


def _session_cookie(browser: Browser) -> str:
    value = browser.client.cookies.get("tp_session")
    assert value, "no session cookie"
    return value


def test_sign_in_page_is_a_labelled_form_with_a_csrf_token(world: World) -> None:
    browser = world.browser()
    response = browser.get("/admin/sign-in")
    assert response.status_code == 200
    assert browser.page is not None
    assert page_problems(browser.page) == []
    assert browser.page.find("input", name="password").get("type") == "password"
    assert browser.page.find("input", name="password").get("autocomplete") == "current-password"


def test_security_headers_on_every_response(world: World) -> None:
    browser = world.browser()
    for path in ("/admin/sign-in", "/admin/", "/admin/no-such-page"):
        headers = browser.client.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src" not in csp
        assert "default-src 'none'" in csp
        assert "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["cache-control"] == "no-store"
        assert "strict-transport-security" not in headers  # http: HSTS would be ignored
    assert world.browser().client.get("/admin/static/admin.css").headers["cache-control"] != (
        "no-store"
    )


def test_signing_in_and_the_cookie(world: World) -> None:
    browser = world.browser()
    response = browser.sign_in("pat@example.org")
    assert response.url.path == "/admin/"
    set_cookie = next(
        h for h in response.history[0].headers.get_list("set-cookie") if "tp_session" in h
    )
    assert "HttpOnly" in set_cookie
    assert "SameSite=lax" in set_cookie or "samesite=lax" in set_cookie.lower()
    assert "Path=/" in set_cookie
    assert "Secure" not in set_cookie
    assert world.audit("signin.ok")[-1].actor == f"practitioner:{world.ids['pat']}"
    assert world.audit("signin.ok")[-1].record_id == world.ids["pat"]


def test_https_public_url_gives_host_prefixed_secure_cookies_and_hsts(db_url: str) -> None:
    with admin_world(db_url, public_url="https://touchpoint.example.org") as world:
        browser = world.browser()
        page = browser.client.get("/admin/sign-in")
        assert page.headers["strict-transport-security"].startswith("max-age=")
        cookie = page.headers["set-cookie"]
        assert cookie.startswith("__Host-tp_pre=")
        assert "Secure" in cookie
        assert "Path=/" in cookie


def test_the_session_token_is_stored_only_as_a_hash(world: World) -> None:
    browser = world.signed_in("pat")
    token = _session_cookie(browser)
    with world.db.read() as session:
        hashes = session.scalars(select(AdminSession.token_hash)).all()
    assert token not in hashes
    assert len(hashes) == 1
    assert len(hashes[0]) == 64


@pytest.mark.parametrize("email", ["pat@example.org", "nobody@example.org"])
def test_wrong_password_and_unknown_account_get_the_same_answer(world: World, email: str) -> None:
    browser = world.browser()
    response = browser.sign_in(email, "not the password at all")
    assert response.status_code == 200
    assert WRONG in browser.text
    assert response.url.path == "/admin/sign-in"
    assert "tp_session" not in browser.client.cookies
    assert world.audit("signin.failed")[-1].detail == {}


def test_answers_for_known_and_unknown_accounts_are_identical(world: World) -> None:
    texts = []
    for email in ("pat@example.org", "nobody@example.org"):
        browser = world.browser()
        browser.sign_in(email, "not the password at all")
        texts.append(browser.text.replace(email, "EMAIL"))
    assert texts[0] == texts[1]


def test_session_fixation_a_planted_token_is_never_signed_in(world: World) -> None:
    browser = world.browser()
    browser.client.cookies.set("tp_session", "planted-by-an-attacker", domain="testserver.local")
    browser.sign_in("pat@example.org")
    assert _session_cookie(browser) != "planted-by-an-attacker"
    attacker = world.browser()
    attacker.client.cookies.set("tp_session", "planted-by-an-attacker", domain="testserver.local")
    assert attacker.get("/admin/").url.path == "/admin/sign-in"


def test_a_copied_session_cookie_is_dead_after_sign_out(world: World) -> None:
    browser = world.signed_in("pat")
    stolen = _session_cookie(browser)
    browser.submit("/sign-out", page="/admin/")
    assert "You have signed out" in browser.text
    replay = world.browser()
    replay.client.cookies.set("tp_session", stolen, domain="testserver.local")
    assert replay.get("/admin/participants").url.path == "/admin/sign-in"
    with world.db.read() as session:
        assert session.scalars(select(AdminSession)).all() == []


def test_idle_sessions_expire(world: World) -> None:
    browser = world.signed_in("pat")
    world.clock.advance(minutes=29)
    assert browser.get("/admin/").url.path == "/admin/"
    world.clock.advance(minutes=29)  # activity above reset the idle clock
    assert browser.get("/admin/").url.path == "/admin/"
    world.clock.advance(minutes=31)
    response = browser.get("/admin/participants")
    assert response.url.path == "/admin/sign-in"
    assert response.url.params["next"] == "/admin/participants"


def test_sessions_end_after_the_absolute_limit_however_busy(world: World) -> None:
    browser = world.signed_in("pat")
    for _ in range(12 * 3):
        world.clock.advance(minutes=20)
        browser.get("/admin/")
    assert browser.response is not None
    assert browser.response.url.path == "/admin/sign-in"


def test_sign_in_goes_back_to_the_page_asked_for_but_never_off_site(world: World) -> None:
    browser = world.browser()
    browser.get("/admin/alerts")
    assert browser.response is not None
    assert browser.response.url.path == "/admin/sign-in"
    browser.submit("/sign-in", {"email": "pat@example.org", "password": PASSWORD})
    assert browser.response.url.path == "/admin/alerts"
    for evil in ("https://evil.example/", "//evil.example/", "/elsewhere"):
        other = world.browser()
        other.get(f"/admin/sign-in?next={evil}")
        other.submit("/sign-in", {"email": "pat@example.org", "password": PASSWORD})
        assert other.response is not None
        assert str(other.response.url) == "http://testserver/admin/"


def test_post_without_the_csrf_token_is_refused(world: World) -> None:
    browser = world.signed_in("pat")
    alex = world.ids["alex"]
    response = browser.client.post(
        f"/admin/participants/{alex}/appointment", data={"next_appointment": "2026-04-01"}
    )
    assert response.status_code == 403
    assert world.audit("csrf.refused")
    assert world.audit("participant.appointment") == []


def test_another_sessions_csrf_token_is_refused(world: World) -> None:
    mine, theirs = world.signed_in("pat"), world.signed_in("pat")
    mine.get(f"/admin/participants/{world.ids['alex']}")
    theirs.get(f"/admin/participants/{world.ids['alex']}")
    assert theirs.page is not None
    their_token = theirs.page.find("input", name="csrf").get("value")
    response = mine.submit(
        "/appointment", {"next_appointment": "2026-04-01", "csrf": their_token}, follow=False
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    "headers",
    [{"origin": "https://evil.example"}, {"sec-fetch-site": "cross-site"}],
)
def test_cross_site_posts_are_refused_even_with_a_token(
    world: World, headers: dict[str, str]
) -> None:
    browser = world.signed_in("pat")
    browser.get(f"/admin/participants/{world.ids['alex']}")
    response = browser.submit(
        "/appointment", {"next_appointment": "2026-04-01"}, follow=False, headers=headers
    )
    assert response.status_code == 403


def test_same_origin_post_with_the_token_works(world: World) -> None:
    browser = world.signed_in("pat")
    browser.get(f"/admin/participants/{world.ids['alex']}")
    response = browser.submit(
        "/appointment",
        {"next_appointment": "2026-04-01"},
        headers={"origin": "http://testserver", "sec-fetch-site": "same-origin"},
    )
    assert response.status_code == 200
    assert "Next appointment saved" in browser.text


def test_the_sign_in_form_needs_its_csrf_token_too(world: World) -> None:
    browser = world.browser()
    response = browser.client.post(
        "/admin/sign-in", data={"email": "pat@example.org", "password": PASSWORD}
    )
    assert response.status_code == 403
    assert "tp_session" not in browser.client.cookies


def test_five_failures_from_one_address_hold_that_account_back_there(world: World) -> None:
    attacker = world.browser("10.0.0.66")
    for _ in range(5):
        attacker.sign_in("pat@example.org", "guess guess guess")
        assert WRONG in attacker.text
    attacker.sign_in("pat@example.org")  # even the right password now
    assert THROTTLED in attacker.text
    assert "tp_session" not in attacker.client.cookies
    # The same answer for an account that doesn't exist.
    for _ in range(5):
        attacker.sign_in("nobody@example.org", "guess guess guess")
    attacker.sign_in("nobody@example.org", "guess guess guess")
    assert THROTTLED in attacker.text
    # Someone else, elsewhere, is not held back; and the hold ends.
    assert world.signed_in("pat", "10.0.0.7")
    world.clock.advance(minutes=16)
    assert world.signed_in("pat", "10.0.0.66")


def test_an_attacker_cannot_lock_a_practitioner_out_of_their_own_browser(world: World) -> None:
    usual = world.signed_in("pat", "10.0.0.7")  # leaves a trusted-browser cookie
    usual.submit("/sign-out", page="/admin/")
    for n in range(30):
        attacker = world.browser(f"10.9.{n}.1")
        attacker.sign_in("pat@example.org", "guess guess guess")
    newcomer = world.browser("10.0.0.8")
    newcomer.sign_in("pat@example.org")
    assert THROTTLED in newcomer.text  # a browser that never signed in waits
    usual.sign_in("pat@example.org")
    assert usual.response is not None
    assert usual.response.url.path == "/admin/"


def test_failures_from_one_address_never_lock_out_another_account(world: World) -> None:
    # Behind a proxy Touchpoint was not told to trust, everyone has the proxy's address.
    attacker = world.browser("10.0.0.66")
    for n in range(30):
        attacker.sign_in(f"user{n % 5}@example.org", "guess guess guess")
    assert THROTTLED in attacker.text
    colleague = world.browser("10.0.0.66")
    colleague.sign_in("pat@example.org")
    assert colleague.response is not None
    assert colleague.response.url.path == "/admin/"


def test_codes_are_asked_for_after_the_password(world: World) -> None:
    secret = pyotp.random_base32()
    with world.db.write() as session:
        pat = session.get(Practitioner, world.ids["pat"])
        assert pat is not None
        pat.totp_secret = secret
    browser = world.browser()
    browser.sign_in("pat@example.org")
    assert browser.response is not None
    assert browser.response.url.path == "/admin/sign-in/code"
    assert browser.get("/admin/participants").url.path == "/admin/sign-in/code"
    half_way = browser.client.cookies.get("tp_session")
    browser.submit("/sign-in/code", {"code": "000000"})
    assert "didn't work" in browser.text
    code = pyotp.TOTP(secret).at(world.clock())
    browser.submit("/sign-in/code", {"code": code})
    assert browser.response.url.path == "/admin/"
    assert browser.client.cookies.get("tp_session") != half_way  # a new token at each step
    # The same code can't be used twice.
    again = world.browser("10.0.0.9")
    again.sign_in("pat@example.org")
    again.submit("/sign-in/code", {"code": code})
    assert "didn't work" in again.text


def test_a_team_can_require_codes_and_newcomers_set_them_up(world: World) -> None:
    with world.db.write() as session:
        team = session.get(Team, world.ids["team_a"])
        assert team is not None
        team.require_totp = True
    browser = world.browser()
    browser.sign_in("pat@example.org")
    assert browser.response is not None
    assert browser.response.url.path == "/admin/sign-in/setup"
    assert browser.page is not None
    assert browser.page.find("img", class_="qr").get("src").startswith("data:image/svg+xml")
    secret = browser.page.find("input", name="secret").get("value")
    browser.submit("/sign-in/setup", {"code": pyotp.TOTP(secret).at(world.clock())})
    assert browser.response.url.path == "/admin/"
    with world.db.read() as session:
        pat = session.get(Practitioner, world.ids["pat"])
        assert pat is not None
        assert pat.totp_secret == secret
    # They can't turn codes off while the team requires them.
    browser.get("/admin/account")
    assert "Your team requires them" in browser.text


def test_turning_codes_on_and_off_from_the_account_page(world: World) -> None:
    browser = world.signed_in("pat")
    browser.get("/admin/account")
    assert browser.page is not None
    secret = browser.page.find("input", name="secret").get("value")
    browser.submit("/account/codes", {"code": pyotp.TOTP(secret).at(world.clock())})
    assert "Sign-in codes are on" in browser.text
    browser.submit("/account/codes/off", {"current": "wrong password here"})
    assert "isn't right" in browser.text
    browser.submit("/account/codes/off", {"current": PASSWORD})
    assert "Sign-in codes are off" in browser.text


def test_changing_the_password_ends_every_other_session(world: World) -> None:
    elsewhere = world.signed_in("pat", "10.0.0.2")
    browser = world.signed_in("pat")
    new = "Orchard ferry violin 2031"
    browser.submit(
        "/account/password", {"current": PASSWORD, "new": new, "again": new}, page="/admin/account"
    )
    assert "Your password has been changed" in browser.text
    assert browser.get("/admin/").url.path == "/admin/"  # this browser carries on
    assert elsewhere.get("/admin/").url.path == "/admin/sign-in"
    fresh = world.browser()
    fresh.sign_in("pat@example.org", new)
    assert fresh.response is not None
    assert fresh.response.url.path == "/admin/"
    assert world.audit("password.change")


@pytest.mark.parametrize(
    ("new", "why"),
    [
        ("short one", "at least 12"),
        ("Password1234!", "common passwords"),
        ("P@ssw0rd2024!!", "common passwords"),
        ("iloveyouiloveyou", "common passwords"),
        ("aaaaaaaaaaaaaaaa", "repeats"),
        ("Pat Practitioner 99", "your name"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(world: World, new: str, why: str) -> None:
    browser = world.signed_in("pat")
    browser.submit(
        "/account/password",
        {"current": PASSWORD, "new": new, "again": new},
        page="/admin/account/password",
    )
    assert why in browser.text
    with world.db.read() as session:
        pat = session.get(Practitioner, world.ids["pat"])
        assert pat is not None
        assert auth.verify_password(pat.password_hash, PASSWORD)


def test_passwords_are_argon2id_hashes(world: World) -> None:
    with world.db.read() as session:
        pat = session.get(Practitioner, world.ids["pat"])
        assert pat is not None
        assert pat.password_hash is not None
        assert pat.password_hash.startswith("$argon2id$")


def test_the_common_password_list_is_shipped_and_large() -> None:
    common = auth.common_passwords()
    assert len(common) > 2000
    assert {"password", "qwerty", "iloveyou", "letmein"} <= common


def test_a_temporary_password_must_be_changed_before_anything_else(world: World) -> None:
    admin = world.signed_in("ada")
    world.add_practitioner(admin)
    assert admin.page is not None
    temporary = admin.page.find("p", class_="temporary").text()
    newcomer = world.browser()
    newcomer.sign_in("new@example.org", temporary)
    assert newcomer.response is not None
    assert newcomer.response.url.path == "/admin/account/password"
    assert newcomer.get("/admin/participants").url.path == "/admin/account/password"
    chosen = "Mellow harbour sixty 8"
    newcomer.submit("/account/password", {"current": temporary, "new": chosen, "again": chosen})
    assert newcomer.get("/admin/participants").url.path == "/admin/participants"


def _parameters(encoded: str) -> dict[str, int]:
    """m, t, p and the salt's and hash's lengths in bytes, read from an encoded hash."""
    found = ENCODED.fullmatch(encoded)
    assert found, encoded
    salt, digest = (
        base64.b64decode(found[k] + "=" * (-len(found[k]) % 4)) for k in ("salt", "hash")
    )
    return {
        "m": int(found["m"]),
        "t": int(found["t"]),
        "p": int(found["p"]),
        "salt": len(salt),
        "hash": len(digest),
    }


OWASP = {"m": 19456, "t": 2, "p": 1, "salt": 16, "hash": 32}


def test_new_hashes_are_argon2id_with_owasp_minimum_parameters() -> None:
    encoded = auth.hash_password(PASSWORD)
    assert _parameters(encoded) == OWASP
    assert auth.verify_password(encoded, PASSWORD)
    assert not auth.verify_password(encoded, PASSWORD + "!")
    assert not auth.needs_rehash(encoded)


def _stored_hash(world: World, who: str) -> str | None:
    with world.db.read() as session:
        found = session.get(Practitioner, world.ids[who])
        assert found is not None
        return found.password_hash


def test_an_old_default_hash_still_verifies_and_is_upgraded_at_sign_in(world: World) -> None:
    # Hashes made before the change: argon2-cffi's default, RFC 9106's low-memory profile.
    old = PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY).hash(PASSWORD)
    assert _parameters(old) == {"m": 65536, "t": 3, "p": 4, "salt": 16, "hash": 32}
    with world.db.write() as session:
        pat = session.get(Practitioner, world.ids["pat"])
        assert pat is not None
        pat.password_hash = old
    with patch.object(auth, "_hasher", REAL_HASHER):
        assert auth.needs_rehash(old)
        world.browser().sign_in("pat@example.org", "not the password at all")
        assert _stored_hash(world, "pat") == old  # only the right password re-hashes
        assert world.signed_in("pat", "10.0.0.3")
        upgraded = _stored_hash(world, "pat")
        assert upgraded is not None
        assert _parameters(upgraded) == OWASP
        assert auth.verify_password(upgraded, PASSWORD)
        assert world.signed_in("pat", "10.0.0.4")
        assert _stored_hash(world, "pat") == upgraded  # and only once


def test_importing_auth_hashes_nothing_and_the_dummy_hash_is_made_once() -> None:
    spec = importlib.util.spec_from_file_location("fresh_auth", auth.__file__)
    assert spec is not None
    assert spec.loader is not None
    fresh = importlib.util.module_from_spec(spec)
    with patch.object(
        PasswordHasher, "hash", autospec=True, side_effect=PasswordHasher.hash
    ) as made:
        spec.loader.exec_module(fresh)
        assert made.call_count == 0
        assert fresh._DUMMY_HASH is None
        assert not fresh.verify_password(None, PASSWORD)  # an unknown account
        assert not fresh.verify_password(None, PASSWORD)
        assert made.call_count == 1


class _Watched(PasswordHasher):
    """The tests' cheap hasher, noting each hash or check made while a write transaction
    is open on the world's database."""

    def __init__(self, world: World) -> None:
        super().__init__(time_cost=CHEAP.time_cost, memory_cost=CHEAP.memory_cost, parallelism=1)
        self.open = 0
        self.uses = 0
        self.during_writes: list[str] = []
        self._write = world.db.write

    @contextmanager
    def write(self) -> Iterator[Session]:
        with self._write() as session:
            self.open += 1
            try:
                yield session
            finally:
                self.open -= 1

    def _note(self, what: str) -> None:
        self.uses += 1
        if self.open:
            self.during_writes.append(what)

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        self._note("hash")
        return super().hash(password, salt=salt)

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self._note("verify")
        return super().verify(hash, password)


def test_no_password_is_hashed_or_checked_inside_a_write_transaction(world: World) -> None:
    # Hashing takes tens of milliseconds; a webhook waiting for the write lock meanwhile
    # would wait that long (on SQLite, with the event loop).
    watch = _Watched(world)
    stale = PasswordHasher(time_cost=1, memory_cost=16, parallelism=1).hash(PASSWORD)
    with world.db.write() as session:
        pat = session.get(Practitioner, world.ids["pat"])
        assert pat is not None
        pat.password_hash = stale  # so signing in re-hashes it too
    with (
        patch.object(world.db, "write", watch.write),
        patch.object(auth, "_hasher", watch),
    ):
        world.browser().sign_in("nobody@example.org", "not the password at all")
        browser = world.signed_in("pat")
        new = "Orchard ferry violin 2031"
        browser.submit(
            "/account/password",
            {"current": PASSWORD, "new": new, "again": new},
            page="/admin/account/password",
        )
        assert "Your password has been changed" in browser.text
        browser.get("/admin/account")
        assert browser.page is not None
        secret = browser.page.find("input", name="secret").get("value")
        browser.submit("/account/codes", {"code": pyotp.TOTP(secret).at(world.clock())})
        browser.submit("/account/codes/off", {"current": new})
        assert "Sign-in codes are off" in browser.text
        admin = world.signed_in("ada")
        admin.submit("/reset-password", page=f"/admin/practitioners/{world.ids['pia']}")
        world.add_practitioner(admin)
        assert admin.page is not None
        assert admin.page.find("p", class_="temporary") is not None
        assert watch.uses >= 8
        assert watch.during_writes == []
        with world.db.write():  # the watch does see one made inside
            auth.hash_password(PASSWORD)
        assert watch.during_writes == ["hash"]
