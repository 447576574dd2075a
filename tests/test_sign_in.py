"""Sign-in, for real: the dashboard's Flask server over HTTP, a real OpenID provider, Chromium.

Each test builds the app as a deployment does (``create_app()``, which installs sign-in)
over its own empty SENDWATCH_HOME, with accounts made through the account store. Routes
are chosen that answer without a published snapshot; the data-backed role matrix lives
with the dashboard's tests.
"""

from __future__ import annotations

import json
import os
import re
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests
from argon2 import PasswordHasher
from werkzeug.serving import make_server

from sendwatch.access import audit
from sendwatch.access.users import UserStore
from sendwatch.browser import CHROMIUM, CHROMIUM_ARGS
from sendwatch.settings import PROJECT_ROOT, load_settings

# oidc-provider-mock (the test's provider, not sendwatch) still calls authlib's older APIs.
pytestmark = [
    pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:authlib.jose module is deprecated"),
    pytest.mark.filterwarnings("ignore:The httpx module is deprecated"),
]
PASSWORD = "correct horse battery staple"
# Accounts are made with cheap hashes (the app re-hashes them at first sign-in).
CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
ROLE_GROUPS = (
    "la_officer=send-officers;sendiass=sendiass;commissioner=commissioning;"
    "admin=sendwatch-admins;school=schools"
)
ROUTER = {
    "output": ".._pages_content.children..._pages_store.data..",
    "outputs": [
        {"id": "_pages_content", "property": "children"},
        {"id": "_pages_store", "property": "data"},
    ],
    "changedPropIds": ["_pages_location.pathname"],
    "state": [],
}
AXE = PROJECT_ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty SENDWATCH_HOME, and no other sendwatch setting from the environment."""
    for name in list(os.environ):
        if name.startswith("SENDWATCH_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SENDWATCH_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def build(home: Path, monkeypatch: pytest.MonkeyPatch):
    """Build the dashboard with sign-in installed, under the given SENDWATCH_* settings."""

    def build_app(**settings: str):
        from dashboards import auth
        from dashboards.app import create_app

        for name, value in settings.items():
            monkeypatch.setenv(f"SENDWATCH_{name.upper()}", value)
        app = create_app()
        extensions = dict(app.server.extensions)
        auth.install(app)  # create_app installed it already: a second call changes nothing
        assert app.server.extensions == extensions
        return app

    return build_app


@pytest.fixture
def store(home: Path) -> UserStore:
    return UserStore.for_settings(load_settings(), hasher=CHEAP)


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """A real OpenID Connect provider (oidc-provider-mock) on a free local port."""
    from oidc_provider_mock import run_server_in_thread

    with run_server_in_thread(require_nonce=True) as server:
        yield f"http://localhost:{server.server_port}"


def sso_settings(provider: str) -> dict[str, str]:
    return {
        "oidc_issuer": provider,
        "oidc_client_id": "sendwatch",
        "oidc_client_secret": "a client secret",
        "oidc_name": "Test County Council",
        "oidc_role_groups": ROLE_GROUPS,
    }


def csrf_token(client, path: str = "/sign-in") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def sign_in(client, username: str, password: str = PASSWORD, next_path: str | None = None):
    form = {"csrf_token": csrf_token(client), "username": username, "password": password}
    if next_path is not None:
        form["next"] = next_path
    return client.post("/sign-in", data=form)


def sign_out(client):
    return client.post("/sign-out", data={"csrf_token": csrf_token(client)})


def sso_sign_in(client, provider: str, sub: str, claims: dict, next_path: str | None = None):
    """Through the provider's own authorization form, as a person would; returns the
    dashboard's answer to the provider's redirect back."""
    requests.put(f"{provider}/users/{sub}", json=claims, timeout=10).raise_for_status()
    start = client.get("/sign-in/sso" + (f"?next={quote(next_path)}" if next_path else ""))
    assert start.status_code == 302
    authorize = start.headers["Location"]
    asked = parse_qs(urlsplit(authorize).query)
    assert authorize.startswith(f"{provider}/") and asked["code_challenge_method"] == ["S256"]
    assert asked["nonce"] and asked["state"] and asked["code_challenge"]
    answer = requests.post(authorize, data={"sub": sub}, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["Location"])
    assert back.path == "/sign-in/callback"
    return client.get(f"{back.path}?{back.query}")


def events(action: str | None = None) -> list[dict]:
    frame = audit.events(load_settings())
    rows = frame.to_dict("records")
    return [row for row in rows if action is None or row["action"] == action]


def router_callback(
    client, pathname: str, location_id: str = "_pages_location", as_state: bool = False, **headers
):
    values = [
        {"id": location_id, "property": "pathname", "value": pathname},
        {"id": location_id, "property": "search", "value": ""},
    ]
    body = {**ROUTER, "inputs": [] if as_state else values, "state": values if as_state else []}
    return client.post(
        "/_dash-update-component",
        data=json.dumps(body),
        content_type="application/json",
        headers=headers,
    )


def test_a_stranger_reaches_only_the_open_routes(build) -> None:
    client = build().server.test_client()
    health = client.get("/health")
    assert (health.status_code, health.get_data(as_text=True)) == (200, "ok")
    page = client.get("/sign-in")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for part in (
        '<html lang="en-GB">',
        "<main",
        "<h1>Sign in to sendwatch</h1>",
        '<label for="username">',
        '<label for="password">',
        'autocomplete="username"',
        'autocomplete="current-password"',
        'href="/assets/style.css"',
    ):
        assert part in html
    assert "Sign in with" not in html  # no provider configured
    assert client.get("/assets/style.css").status_code == 200
    assert client.get("/_favicon.ico").status_code == 200
    for path in (
        "/_dash-layout",
        "/_dash-dependencies",
        "/export/duties.csv",
        "/export/table/school-checks.csv",
        "/data-docs/index.html",
        "/dbt-docs/index.html",
    ):
        answer = client.get(path)
        assert answer.status_code == 401, path
        assert answer.get_data(as_text=True) == "Sign in to sendwatch to see this."
    assert router_callback(client, "/").status_code == 401
    assert client.get("/").headers["Location"] == "/sign-in?next=/"
    asked = client.get("/school/123456?term=2024-25%7Cspring")
    assert asked.status_code == 302
    location = urlsplit(asked.headers["Location"])
    assert location.path == "/sign-in"
    assert parse_qs(location.query)["next"] == ["/school/123456?term=2024-25%7Cspring"]

    headers = page.headers
    policy = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "'unsafe-eval'" not in policy
    assert re.search(r"script-src 'self' 'sha256-[^']+'", policy)
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in headers  # plain http
    over_https = client.get("/health", base_url="https://localhost")
    assert over_https.headers["Strict-Transport-Security"].startswith("max-age=")


def test_a_wrong_password_gets_one_message_whoever_it_names(build, store: UserStore) -> None:
    store.add("officer", "la_officer", password=PASSWORD)
    client = build().server.test_client()
    wrong = sign_in(client, "officer", "not the right password")
    nobody = sign_in(client, "nobody", "not the right password")
    messages = []
    for answer in (wrong, nobody):
        assert answer.status_code == 401
        html = answer.get_data(as_text=True)
        assert 'role="alert"' in html and 'aria-describedby="sign-in-error"' in html
        messages.append(re.search(r'<p id="sign-in-error">([^<]+)</p>', html).group(1))
    assert (
        messages[0]
        == messages[1]
        == "The username or password is not right. Check both and try again."
    )
    failed = events("sign_in_failed")
    assert {row["username"] for row in failed} == {"officer", "nobody"}
    assert not any("not the right password" in str(row) for row in failed)
    assert client.get("/").status_code == 302  # still signed out
    empty = sign_in(client, "", "")
    assert empty.status_code == 400 and "Enter your username and your password." in empty.text


def test_the_right_password_lands_on_the_roles_home_with_a_safe_cookie(
    build, store: UserStore
) -> None:
    store.add("officer", "la_officer", password=PASSWORD)
    store.add("commissioner", "commissioner", password=PASSWORD)
    store.add("school", "school", urns=["123456"], password=PASSWORD)
    store.add("admin", "admin", password=PASSWORD)
    server = build().server
    homes = {
        "officer": "/",
        "commissioner": "/commissioning",
        "school": "/school/123456",
        "admin": "/admin",
    }
    for username, home_page in homes.items():
        client = server.test_client()
        before = (csrf_token(client), client.get_cookie("__Host-sendwatch").value)
        answer = sign_in(client, username)
        assert (answer.status_code, answer.headers["Location"]) == (302, home_page), username
        cookie = answer.headers["Set-Cookie"]
        assert cookie.startswith("__Host-sendwatch=")
        for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/", "Expires="):
            assert flag in cookie, flag
        assert client.get("/_dash-layout").status_code == 200
        # a new session: the cookie from before signing in opens nothing
        assert client.get_cookie("__Host-sendwatch").value != before[1]
        stranger = server.test_client()
        stranger.set_cookie("__Host-sendwatch", before[1])
        assert stranger.get("/_dash-layout").status_code == 401
    signed_in = events("sign_in")
    assert [(row["username"], row["detail"]) for row in reversed(signed_in)] == [
        (name, "password") for name in homes
    ]
    assert store.get("officer").last_sign_in_at is not None


def test_a_signed_in_browser_keeps_the_pages_scripts_and_the_session_stays_on_pages(
    build, store: UserStore
) -> None:
    """The dashboard's scripts are the same for everyone: served without the session
    cookie and without "Vary: Cookie", a browser keeps them, instead of fetching
    megabytes again on every page because the idle timeout re-issued the cookie. Pages
    and callbacks still carry it, and still refresh it."""
    store.add("officer", "la_officer", password=PASSWORD)
    app = build()
    client = app.server.test_client()
    assert sign_in(client, "officer").status_code == 302
    page = client.get("/").get_data(as_text=True)
    scripts = re.findall(r'src="(/_dash-component-suites/[^"]+)"', page)
    assert any("dash_renderer" in script for script in scripts), scripts
    for script in [scripts[0], "/assets/style.css"]:
        answer = client.get(script)
        assert answer.status_code == 200, script
        assert "Set-Cookie" not in answer.headers, script
        assert "Cookie" not in answer.headers.get("Vary", ""), script
    assert "max-age=31536000" in client.get(scripts[0]).headers["Cache-Control"]
    layout = client.get("/_dash-layout")
    assert layout.status_code == 200
    assert layout.headers["Set-Cookie"].startswith("__Host-sendwatch=")
    assert "Cookie" in layout.headers["Vary"]


def test_next_returns_only_to_a_page_on_this_site(build, store: UserStore) -> None:
    store.add("officer", "la_officer", password=PASSWORD)
    store.add("commissioner", "commissioner", password=PASSWORD)
    server = build().server
    cases = {
        "/context?term=2024-25%7Cspring": "/context?term=2024-25%7Cspring",
        "https://evil.example/": "/",
        "//evil.example/": "/",
        "/\\evil.example": "/",
        "/\t/evil.example": "/",
        "javascript:alert(1)": "/",
        "/sign-in?next=//evil.example": "/",
    }
    for number, (next_path, landing) in enumerate(cases.items()):
        client = server.test_client()
        client.environ_base["REMOTE_ADDR"] = f"192.0.2.{number}"  # under the rate limit
        answer = sign_in(client, "officer", next_path=next_path)
        assert answer.headers["Location"] == landing, next_path
    refused = server.test_client().get("/sign-in?next=https://evil.example/").text
    assert "evil.example" not in refused
    # a page the role cannot open: its home instead of a 403
    commissioner = server.test_client()
    assert (
        sign_in(commissioner, "commissioner", next_path="/data").headers["Location"]
        == "/commissioning"
    )


def test_forms_need_their_token_and_signing_out_ends_the_session(build, store: UserStore) -> None:
    store.add("officer", "la_officer", password=PASSWORD)
    server = build().server
    client = server.test_client()
    no_token = client.post("/sign-in", data={"username": "officer", "password": PASSWORD})
    assert no_token.status_code == 400 and "This form has expired" in no_token.text
    assert not events("sign_in")
    assert sign_in(client, "officer").status_code == 302
    assert client.post("/sign-out").status_code == 400
    assert client.get("/sign-out").status_code == 405
    assert client.get("/_dash-layout").status_code == 200  # still signed in
    copy = client.get_cookie("__Host-sendwatch").value
    answer = sign_out(client)
    assert (answer.status_code, answer.headers["Location"]) == (302, "/sign-in")
    assert client.get("/_dash-layout").status_code == 401
    assert [row["username"] for row in events("sign_out")] == ["officer"]
    # a copy of the cookie taken before signing out is signed out too
    thief = server.test_client()
    thief.set_cookie("__Host-sendwatch", copy)
    assert thief.get("/_dash-layout").status_code == 401
    assert thief.get("/").status_code == 302


def test_sign_in_attempts_are_limited_per_address(build, store: UserStore) -> None:
    store.add("officer", "la_officer", password=PASSWORD)
    client = build().server.test_client()
    token = csrf_token(client)
    form = {"csrf_token": token, "username": "someone", "password": "a guess at it"}
    for _ in range(5):
        assert client.post("/sign-in", data=form).status_code == 401
    sixth = client.post("/sign-in", data={**form, "username": "officer", "password": PASSWORD})
    assert sixth.status_code == 429
    assert "Too many sign-in attempts" in sixth.text and "Wait a minute" in sixth.text
    assert client.get("/sign-in").status_code == 200  # the page itself still opens
    assert client.get("/_dash-layout").status_code == 401
    # a forwarded-for header from the client itself changes nothing
    spoofed = client.post("/sign-in", data=form, headers={"X-Forwarded-For": "203.0.113.9"})
    assert spoofed.status_code == 429


def test_behind_a_trusted_proxy_each_client_has_its_own_limit(build) -> None:
    client = build(trusted_proxies="1").server.test_client()
    form = {"csrf_token": csrf_token(client), "username": "someone", "password": "a guess"}
    first = {"X-Forwarded-For": "203.0.113.1"}
    for _ in range(5):
        assert client.post("/sign-in", data=form, headers=first).status_code == 401
    assert client.post("/sign-in", data=form, headers=first).status_code == 429
    second = {"X-Forwarded-For": "203.0.113.2"}
    assert client.post("/sign-in", data=form, headers=second).status_code == 401


def test_each_role_opens_only_its_pages_routes_and_callbacks(build, store: UserStore) -> None:
    store.add("officer", "la_officer", password=PASSWORD)
    store.add("commissioner", "commissioner", password=PASSWORD)
    store.add("admin", "admin", password=PASSWORD)
    server = build().server
    commissioner, officer, admin = (server.test_client() for _ in range(3))
    sign_in(commissioner, "commissioner")
    sign_in(officer, "officer")
    sign_in(admin, "admin")

    refused = commissioner.get("/data")
    assert refused.status_code == 403 and "You cannot open this page" in refused.text
    assert commissioner.get("/").status_code == 403
    assert commissioner.get("/check/reviews_on_time").status_code == 403
    assert commissioner.get("/data-docs/index.html").status_code == 403
    assert commissioner.get("/dbt-docs/index.html").status_code == 403
    # the page's content comes through Dash's router callback: refused there too, even
    # when the request renames the location (Dash hands values over by position)
    assert router_callback(commissioner, "/data").status_code == 403
    assert router_callback(commissioner, "/data", location_id="renamed").status_code == 403
    assert router_callback(commissioner, "/data", as_state=True).status_code == 403
    forbidden = events("forbidden")
    assert {(row["username"], row["target"]) for row in forbidden} == {
        ("commissioner", name)
        for name in ("data_status", "overview", "check", "data_docs", "dbt_docs")
    }
    assert len(forbidden) == 8

    # what the role may open answers (no snapshot: the page says so)
    shell = officer.get("/data")
    assert shell.status_code == 200
    page = router_callback(officer, "/data")
    assert page.status_code == 200 and "Nothing is published yet" in page.text
    unknown = router_callback(officer, "/no-such-page")
    assert unknown.status_code == 200 and "404" in unknown.text
    docs = officer.get("/dbt-docs/index.html")
    assert docs.status_code == 404  # allowed; none built in this home
    # the generated docs sites run their own inline scripts: a policy of their own
    for answer, inline in ((docs, True), (shell, False)):
        policy = answer.headers["Content-Security-Policy"]
        scripts = policy.split("script-src ")[1].split(";")[0]
        assert ("'unsafe-inline'" in scripts) is inline
    assert admin.get("/dbt-docs/index.html").status_code == 404
    assert admin.get("/data-docs/index.html").status_code == 403
    # the callback endpoint is exempt from form tokens, so it refuses other sites
    elsewhere = router_callback(officer, "/data", Origin="https://evil.example")
    assert elsewhere.status_code == 403
    same_site = router_callback(officer, "/data", Origin="http://localhost")
    assert same_site.status_code == 200


def test_settings_shape_cookies_and_the_kept_key(build, home: Path, store: UserStore) -> None:
    store.add("officer", "la_officer", password=PASSWORD)
    first = build(cookie_secure="false").server
    key_file = home / "access" / "secret_key"
    assert not key_file.exists()  # building the app writes nothing: the key is made at first use
    client = first.test_client()
    cookie = sign_in(client, "officer").headers["Set-Cookie"]
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert cookie.startswith("sendwatch=") and "Secure" not in cookie and "HttpOnly" in cookie
    over_https = client.get("/health", base_url="https://localhost")
    assert "Strict-Transport-Security" not in over_https.headers
    # another worker (or a restart) reads the same key: the session still holds
    second = build(cookie_secure="false").server
    again = second.test_client()
    again.set_cookie("sendwatch", client.get_cookie("sendwatch").value)
    assert again.get("/_dash-layout").status_code == 200
    assert first.secret_key == second.secret_key == key_file.read_text()
    # a configured key is used as it is
    configured = build(cookie_secure="false", secret_key="a" * 40).server
    configured.test_client().get("/sign-in")
    assert configured.secret_key == "a" * 40

    with pytest.raises(ValueError, match="at least 32"):
        load_settings({"SENDWATCH_SECRET_KEY": "short"})
    with pytest.raises(ValueError, match="role=group"):
        load_settings({"SENDWATCH_OIDC_ROLE_GROUPS": "governor=governors"})
    with pytest.raises(ValueError, match="true or false"):
        load_settings({"SENDWATCH_COOKIE_SECURE": "maybe"})
    sign_in_settings = load_settings(
        {"SENDWATCH_OIDC_ROLE_GROUPS": "la_officer=a, b;admin=c", "SENDWATCH_SECRET_KEY": "k" * 40}
    ).sign_in
    assert sign_in_settings.oidc_role_groups == (
        ("a", "la_officer"),
        ("b", "la_officer"),
        ("c", "admin"),
    )
    assert "k" * 40 not in repr(sign_in_settings)


def test_single_sign_on_end_to_end(build, store: UserStore, provider: str) -> None:
    server = build(**sso_settings(provider)).server
    assert "Sign in with Test County Council" in server.test_client().get("/sign-in").text

    # groups mapping to two roles: the more privileged wins, and next is followed
    alice = server.test_client()
    claims = {"email": "alice@county.example", "groups": ["schools", "send-officers"]}
    landed = sso_sign_in(alice, provider, "alice", claims, next_path="/data")
    assert (landed.status_code, landed.headers["Location"]) == (302, "/data")
    assert alice.get("/_dash-layout").status_code == 200
    account = store.get("alice@county.example")
    assert (account.role, account.has_password, account.disabled) == ("la_officer", False, False)
    assert events("sign_in")[0]["detail"] == "sso"

    # a school account takes its URNs from the urns claim
    carol = server.test_client()
    claims = {"email": "carol@school.example", "groups": "schools", "urns": ["123456", "654321"]}
    landed = sso_sign_in(carol, provider, "carol", claims)
    assert landed.headers["Location"] == "/school/123456"
    assert store.get("carol@school.example").urns == {"123456", "654321"}

    # no group gives a role: 403, not signed in, audited
    dave = server.test_client()
    claims = {"email": "dave@county.example", "groups": ["canteen"]}
    refused = sso_sign_in(dave, provider, "dave", claims)
    assert refused.status_code == 403 and "no sendwatch role" in refused.text
    assert dave.get("/_dash-layout").status_code == 401
    failed = events("sign_in_failed")[0]
    assert (failed["username"], failed["detail"]) == (
        "dave@county.example",
        "sso: no role from groups",
    )
    assert store.get("dave@county.example") is None

    # the role is the provider's at every sign-in
    again = server.test_client()
    claims = {"email": "alice@county.example", "groups": ["commissioning"]}
    assert sso_sign_in(again, provider, "alice", claims).headers["Location"] == "/commissioning"
    assert store.get("alice@county.example").role == "commissioner"
    assert alice.get("/data").status_code == 403  # her older session sees the new role

    # an administrator disables her: her sessions end, and single sign-on refuses her
    store.disable("alice@county.example")
    assert alice.get("/_dash-layout").status_code == 401
    refused = sso_sign_in(server.test_client(), provider, "alice", claims)
    assert refused.status_code == 403 and "disabled" in refused.text

    # the provider never takes over an account that signs in with a password
    store.add("erin@county.example", "commissioner", password=PASSWORD)
    claims = {"email": "erin@county.example", "groups": ["sendwatch-admins"]}
    refused = sso_sign_in(server.test_client(), provider, "erin", claims)
    assert refused.status_code == 403 and store.get("erin@county.example").role == "commissioner"

    # a callback that this browser did not start is refused
    forged = server.test_client().get("/sign-in/callback?code=made-up&state=made-up")
    assert forged.status_code == 400 and "did not finish" in forged.text

    # signing out works as for a password
    assert sign_out(carol).headers["Location"] == "/sign-in"
    assert carol.get("/_dash-layout").status_code == 401


def test_an_idle_session_ends(build, store: UserStore, provider: str) -> None:
    store.add("officer", "la_officer", password=PASSWORD)
    server = build(session_idle_minutes="0.05", **sso_settings(provider)).server  # 3 s
    by_password, by_sso = server.test_client(), server.test_client()
    sign_in(by_password, "officer")
    claims = {"email": "frank@county.example", "groups": ["sendiass"]}
    assert sso_sign_in(by_sso, provider, "frank", claims).headers["Location"] == "/sendiass"
    for client in (by_password, by_sso):
        assert client.get("/_dash-layout").status_code == 200
    time.sleep(4.5)  # Flask compares whole seconds: more than 3 have passed
    for client in (by_password, by_sso):
        assert client.get("/_dash-layout").status_code == 401
        assert client.get("/").headers["Location"] == "/sign-in?next=/"


@pytest.fixture
def served(build, store: UserStore) -> Iterator[str]:
    """The dashboard with sign-in, over plain http on a free local port."""
    store.add("officer", "la_officer", password=PASSWORD)
    app = build(cookie_secure="false")
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="scripts/test installs Debian's chromium")
def test_signing_in_in_a_browser_at_320_pixels(served: str) -> None:
    """Chromium, 320 px wide: the sign-in page is accessible, its error is announced, and
    the dashboard then runs under the content security policy without a violation."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 320, "height": 640})
        problems: list[str] = []
        page.on(
            "console", lambda message: message.type == "error" and problems.append(message.text)
        )
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.goto(f"{served}/data")
        assert urlsplit(page.url).path == "/sign-in"
        page.fill("#username", "officer")
        page.fill("#password", "not the password")
        page.click("button[type=submit]")
        page.wait_for_selector("[role=alert]")
        assert page.get_attribute("#password", "aria-describedby") == "sign-in-error"
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        page.focus("#username")
        assert (
            page.eval_on_selector("#username", "e => getComputedStyle(e).outlineStyle") == "solid"
        )
        if AXE.exists():
            # evaluated through the browser's debugging protocol: a <script> tag added to
            # the page (page.add_script_tag) would be refused by the page's CSP
            page.evaluate(AXE.read_text(encoding="utf-8"))
            found = page.evaluate(
                "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', "
                "'wcag21a', 'wcag21aa', 'wcag22aa']})).violations.map(v => v.id)"
            )
            assert found == []
        page.fill("#username", "officer")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{served}/data")
        page.wait_for_selector("h1", timeout=30_000)
        page.wait_for_load_state("networkidle")
        page.wait_for_selector("text=Nothing is published yet")
        csp_refusals = [text for text in problems if "Content Security Policy" in text]
        assert csp_refusals == []
        browser.close()
