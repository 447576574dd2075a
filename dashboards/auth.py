"""Sign-in for the dashboard: who is asking, and whether they may, for every request.

``install(app)`` gives the Dash app's Flask server:

- sessions (Flask-Login over Flask's signed cookie): HttpOnly, SameSite=Lax, Secure unless
  the setting ``cookie_secure`` is false; a session ends after ``idle_minutes`` without a
  request, and at sign-out (remembered on the server, so a copied cookie ends with it);
- a guard before every request: only ``/health``, Dash's static files and the sign-in
  routes are open. A stranger asking for a page is sent to ``/sign-in``; asking for data
  (Dash's callbacks, exports, the docs sites) gets 401. A signed-in account asking for a
  page or route its role may not open (``roles.may_open``), or a school's page it may not
  see (``roles.may_see_school``: a school account asking for another school's URN), gets
  403, and it is audited;
- ``/sign-in`` (username and password, CSRF-protected, at most 5 failed attempts a minute from
  one address), ``/sign-out`` (POST with its CSRF token) and, when the settings name a
  provider, OpenID Connect single sign-on (``/sign-in/sso`` and ``/sign-in/callback``);
- security headers (Flask-Talisman): a content security policy under which Dash runs,
  no framing, no sniffing, same-origin referrers, HSTS when cookies are Secure.

``current_viewer()`` is who is asking, as a ``roles.Viewer``, or None; ``refused()`` is the
audited 403 the dashboard's own routes answer with, ``record()`` adds an audit event.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import dash
import flask_login
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from dash import dcc, html
from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask.typing import ResponseReturnValue
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_talisman import DENY, Talisman
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf
from itsdangerous import URLSafeTimedSerializer
from joserfc.errors import JoseError  # authlib 1.9 checks ID tokens with joserfc
from requests import RequestException
from werkzeug.middleware.proxy_fix import ProxyFix
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length

from dashboards.per_request import request_settings
from sendwatch.access import audit, roles
from sendwatch.access.audit import private_database
from sendwatch.access.users import USERNAME_PATTERN, USERS_FILE_NAME, User, UserError, UserStore
from sendwatch.settings import Settings, SignIn, load_settings

log = logging.getLogger(__name__)

EXTENSION = "sendwatch_auth"
SECRET_KEY_FILE_NAME = "secret_key"
ENDED_SESSIONS_FILE_NAME = "sessions.sqlite"

SIGN_IN = "/sign-in"
SIGN_IN_SSO = "/sign-in/sso"
SIGN_IN_CALLBACK = "/sign-in/callback"
SIGN_OUT = "/sign-out"
HEALTH = "/health"
DASH_CALLBACK = "/_dash-update-component"
# Open to anyone: the sign-in routes, a health check that reads nothing, and Dash's
# static files (the dashboard's code and stylesheet, no data).
OPEN_PATHS = frozenset({HEALTH, SIGN_IN, SIGN_IN_SSO, SIGN_IN_CALLBACK, SIGN_OUT, "/_favicon.ico"})
OPEN_PREFIXES = ("/assets/", "/_dash-component-suites/")
# Asked for by the dashboard's scripts, or downloaded: a stranger gets 401, not a redirect
# to a sign-in page it could not show.
DATA_PREFIXES = ("/_dash-", "/_reload-hash", "/export/", "/data-docs/", "/dbt-docs/")
# Routes that are not Dash pages, by the name roles.ROUTES gives them.
ROUTE_PREFIXES = (("/data-docs/", "data_docs"), ("/dbt-docs/", "dbt_docs"))
# Dash's pages router renders the page at this location's pathname (dash.dash._ID_LOCATION).
PAGES_LOCATION = "_pages_location"

# The generated documentation sites (Great Expectations Data Docs, dbt docs) are served
# as built: their views (endpoints of dashboards/app.py) get their own, looser policy.
DOCS_VIEWS = ("data_docs", "dbt_docs")
DOCS_CDNS = (  # what Great Expectations' Data Docs pages load their styles and scripts from
    "https://cdn.jsdelivr.net",
    "https://cdnjs.cloudflare.com",
    "https://code.jquery.com",
    "https://maxcdn.bootstrapcdn.com",
    "https://stackpath.bootstrapcdn.com",
    "https://unpkg.com",
)

SIGN_IN_ATTEMPTS = "5 per minute"
# When someone's groups map to several roles, the first of these wins.
SSO_ROLE_PRECEDENCE = (
    roles.LA_OFFICER,
    roles.ADMIN,
    roles.SENDIASS,
    roles.COMMISSIONER,
    roles.SCHOOL,
)
SESSION_ID = "sid"  # this sign-in's own id, so signing out can end every copy of it
NEXT_AFTER_SSO = "sso_next"
WRONG_DETAILS = "The username or password is not right. Check both and try again."
MISSING_DETAILS = "Enter your username and your password."


class SignInForm(FlaskForm):
    username = StringField("Username", validators=[InputRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[InputRequired(), Length(max=1024)])


class _Account(flask_login.UserMixin):
    """A signed-in account as Flask-Login sees it."""

    def __init__(self, user: User) -> None:
        self.user = user

    def get_id(self) -> str:
        return self.user.username

    @property
    def viewer(self) -> roles.Viewer:
        return self.user.viewer(_state().settings.commissioners_see_schools)


class _EndedSessions:
    """Sign-ins ended by signing out, remembered until no copy of their cookie can be valid.

    The session lives in a signed cookie: clearing it in one browser does not stop a copy
    taken earlier from working until it idles out. Each sign-in gets its own id; signing
    out records that id here, and a request carrying it is treated as signed out.
    """

    _SCHEMA = "create table if not exists ended (session_id text primary key, until real);"

    def __init__(self, path: Path, keep_seconds: float) -> None:
        self.path = path
        # a copy refreshed just before sign-out stays valid one idle period (Flask
        # compares whole seconds), so remember it a little longer
        self.keep_seconds = keep_seconds + 60

    def end(self, session_id: str) -> None:
        now = time.time()
        with private_database(self.path, self._SCHEMA) as connection:
            connection.execute("delete from ended where until < ?", [now])
            connection.execute(
                "insert or replace into ended values (?, ?)", [session_id, now + self.keep_seconds]
            )

    def has_ended(self, session_id: object) -> bool:
        if not isinstance(session_id, str) or not session_id:
            return True  # only sendwatch makes signed-in sessions, and each has an id
        if not self.path.exists():
            return False
        with private_database(self.path, self._SCHEMA) as connection:
            found = connection.execute("select 1 from ended where session_id = ?", [session_id])
            return found.fetchone() is not None


@dataclass
class _Auth:
    """What ``install`` made for one app, kept in ``server.extensions``.

    The sign-in settings configure the server once, at install. Where the accounts and
    the audit log live is read per request, as the data layer reads the snapshot.
    """

    app: dash.Dash
    sign_in: SignIn
    talisman: Talisman
    sso: Any | None  # authlib's OpenID Connect client, when single sign-on is configured
    # One store per accounts file: a store keeps the dummy hash that makes an unknown
    # name cost as much as a known one, so it is made once, not per request.
    stores: dict[Path, UserStore] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def settings(self) -> Settings:
        return request_settings()

    def store(self) -> UserStore:
        path = self.settings.access_folder / USERS_FILE_NAME
        with self.lock:
            if path not in self.stores:
                self.stores[path] = UserStore(path)
            return self.stores[path]

    def ended(self) -> _EndedSessions:
        keep = self.sign_in.idle_minutes * 60
        return _EndedSessions(self.settings.access_folder / ENDED_SESSIONS_FILE_NAME, keep)


class _LazyKeySessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, the key read (or made) when first needed, so that
    building the app writes nothing (``dashboards.app`` builds one at import)."""

    def __init__(self, configured_key: str | None) -> None:
        self.configured_key = configured_key
        self.lock = threading.Lock()

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            with self.lock:
                if not app.secret_key:
                    folder = load_settings().access_folder
                    app.secret_key = self.configured_key or _kept_secret_key(folder)
        return super().get_signing_serializer(app)

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        # The page's scripts and styles are the same for everyone. Left alone, every
        # response would carry the session cookie, re-issued each request for the idle
        # timeout, and "Vary: Cookie": browsers would fetch megabytes of scripts again
        # on every page.
        if request.path.startswith(OPEN_PREFIXES):
            return
        super().save_session(app, session, response)


# Only carries the templates folder (dashboards/templates) to the server's Jinja loader.
_templates = Blueprint("sendwatch_sign_in", __name__, template_folder="templates")


def install(app: dash.Dash) -> None:
    """Require sign-in on ``app`` (built by ``create_app``). Calling it again does nothing."""
    server = app.server
    if EXTENSION in server.extensions:
        return
    if app.config.routes_pathname_prefix != "/":
        raise ValueError("sign-in expects the dashboard at / (routes_pathname_prefix)")
    sign_in = load_settings().sign_in
    idle = timedelta(minutes=sign_in.idle_minutes)

    if sign_in.trusted_proxies:
        # Behind the LA's TLS proxy: the client's address (for the rate limit), the
        # scheme and host (for the single sign-on callback URL) come from its headers.
        hops = sign_in.trusted_proxies
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    server.session_interface = _LazyKeySessions(sign_in.secret_key)
    server.config.update(
        # __Host-: the browser keeps it only if Secure, for the whole site, for this host
        SESSION_COOKIE_NAME="__Host-sendwatch" if sign_in.cookie_secure else "sendwatch",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=sign_in.cookie_secure,
        # The idle timeout: a signed-in session is permanent, its cookie re-issued on
        # every request, and Flask refuses a cookie signed longer ago than this.
        PERMANENT_SESSION_LIFETIME=idle,
        SESSION_REFRESH_EACH_REQUEST=True,
        # A CSRF token lasts as long as its session (which the idle timeout bounds).
        WTF_CSRF_TIME_LIMIT=None,
    )
    server.register_blueprint(_templates)

    talisman = Talisman(
        server,
        force_https=False,  # TLS ends at the LA's proxy, which redirects http itself
        strict_transport_security=sign_in.cookie_secure,
        strict_transport_security_include_subdomains=False,
        session_cookie_secure=sign_in.cookie_secure,
        session_cookie_http_only=True,
        session_cookie_samesite="Lax",
        content_security_policy=_content_security_policy(app),
        frame_options=DENY,
        referrer_policy="same-origin",  # paths carry URNs: never sent to another site
        x_content_type_options=True,
    )

    for endpoint in DOCS_VIEWS:
        view = server.view_functions.get(endpoint)
        if view is not None:  # Talisman reads a view's own options from this attribute
            view.talisman_view_options = {"content_security_policy": _docs_policy()}

    # Counted per client address; registered before CSRF so every POST counts.
    limiter = Limiter(
        get_remote_address,
        app=server,
        storage_uri=sign_in.rate_limit_storage,
        strategy="moving-window",  # at most 5 in any 60 seconds, not 10 across a boundary
        headers_enabled=True,
    )
    csrf = CSRFProtect(server)
    # Dash's callback endpoint takes JSON from the dashboard's own scripts, which cannot
    # send a form token. Its callbacks only read. A cross-site page cannot use it either:
    # the session cookie is SameSite=Lax (not sent on another site's POST), the body must
    # be application/json (which a cross-site form cannot send without a CORS preflight,
    # which sendwatch never allows) and the guard refuses any other site's Origin header.
    csrf.exempt(server.view_functions[DASH_CALLBACK])

    login_manager = flask_login.LoginManager()
    login_manager.init_app(server)
    login_manager.user_loader(_load_account)
    # No "remember me": login_user is never asked to remember, so no long-lived cookie.

    auth = _Auth(
        app=app,
        sign_in=sign_in,
        talisman=talisman,
        sso=_sso_client(server, sign_in) if sign_in.sso_enabled else None,
    )
    server.extensions[EXTENSION] = auth

    server.add_url_rule(HEALTH, "health", _health)
    server.add_url_rule(
        SIGN_IN,
        "sign_in",
        # Only refusals count: an office behind one address signs in many people at 9am.
        limiter.limit(SIGN_IN_ATTEMPTS, methods=["POST"], deduct_when=_attempt_failed)(_sign_in),
        methods=["GET", "POST"],
    )
    # GET is routed here too, or Dash's catch-all route would answer it with a page.
    server.add_url_rule(SIGN_OUT, "sign_out", _sign_out, methods=["GET", "POST"])
    server.add_url_rule(SIGN_IN_SSO, "sign_in_sso", _sign_in_sso)
    server.add_url_rule(SIGN_IN_CALLBACK, "sign_in_callback", _sign_in_callback)
    server.before_request(_guard)
    server.after_request(_no_store)
    server.register_error_handler(CSRFError, _form_expired)
    server.register_error_handler(429, _too_many_attempts)


def current_viewer() -> roles.Viewer | None:
    """Who is asking: the signed-in account's viewer, or None (signed out, or no request)."""
    if not has_request_context() or EXTENSION not in current_app.extensions:
        return None
    account = flask_login.current_user
    if not getattr(account, "is_authenticated", False):
        return None
    return account.viewer


def sign_out_form() -> html.Form:
    """A "Sign out" button for a Dash layout; call it per request (it holds the CSRF token)."""
    return html.Form(
        [
            dcc.Input(type="hidden", name="csrf_token", value=generate_csrf()),
            html.Button("Sign out", type="submit", className="button sign-out-button"),
        ],
        method="post",
        action=SIGN_OUT,
        className="sign-out",
    )


def role_label(role: str) -> str:
    """A role in words: "Commissioner: figures by ..." -> "Commissioner"."""
    return roles.ROLES[role].split(":")[0]


def record(viewer: roles.Viewer, action: str, target: str = "", detail: str = "") -> None:
    """Add an event by ``viewer`` to the audit log (the settings of this request)."""
    audit.record(
        _state().settings,
        username=viewer.name,
        role=viewer.role,
        action=action,
        target=target,
        detail=detail,
    )


def refused(viewer: roles.Viewer | None, target: str, detail: str = "") -> ResponseReturnValue:
    """The answer to a request ``viewer`` may not make: audited, 403, no data in it.

    Nobody signed in: 401 (nothing to audit). A page gets the short message page; data
    (Dash's callbacks, exports, the docs sites) a line of plain text.
    """
    if viewer is None:
        return _plain(401, "Sign in to sendwatch to see this.")
    record(viewer, "forbidden", target, detail)
    if request.path.startswith(DATA_PREFIXES) or request.method not in ("GET", "HEAD"):
        return _plain(403, "Your role cannot open this.")
    return _message(
        403,
        "You cannot open this page",
        [f"Your role ({role_label(viewer.role)}) does not include this page."],
        viewer=viewer,
    )


def here() -> str:
    """This request's path and query string, as asked (what an audit event names)."""
    query = request.query_string.decode("utf-8", "replace")
    return request.path + (f"?{query}" if query else "")


def page_name_for_path(app: dash.Dash, pathname: str) -> str | None:
    """The name (as in roles.PAGES) of the Dash page that ``pathname`` opens, if any.

    Matches as Dash's pages router does (dash._pages._path_to_page): registry order, a
    ``path_template``'s variables as fnmatch wildcards, then the page's fixed path.
    """
    path_id = app.strip_relative_path(pathname) or ""
    for page in dash.page_registry.values():
        template = page.get("path_template")
        if template and fnmatch.fnmatchcase(path_id, re.sub("<.*?>", "*", template.strip("/"))):
            return _page_name(page)
        if path_id == page["path"].strip("/"):
            return _page_name(page)
    return None


def urns_for_location(app: dash.Dash, pathname: str, search: str = "") -> list[str]:
    """Every URN a page at ``pathname`` + ``search`` would be handed, as Dash's pages router
    hands them (dash._pages._parse_path_variables): its path template's ``<urn>``, and any
    ``urn`` in the query string, which Dash passes to the layout over the path's."""
    path_id = app.strip_relative_path(pathname) or ""
    found: list[str] = []
    for page in dash.page_registry.values():
        template = (page.get("path_template") or "").strip("/")
        if template and fnmatch.fnmatchcase(path_id, re.sub("<.*?>", "*", template)):
            names = re.findall("<(.*?)>", template)
            pattern = "(.*)".join(re.escape(part) for part in re.split("<.*?>", template))
            matched = re.fullmatch(pattern, path_id)
            if matched:
                found += [v for n, v in zip(names, matched.groups(), strict=True) if n == "urn"]
            break
        if path_id == page["path"].strip("/"):
            break
    query = search[1:] if search.startswith("?") else search
    found += parse_qs(query, keep_blank_values=True).get("urn", [])
    return found


def _page_name(page: dict[str, Any]) -> str:
    return page["module"].rsplit(".", 1)[-1]  # pages.data_status -> data_status


def _state() -> _Auth:
    return current_app.extensions[EXTENSION]


def _kept_secret_key(access_folder: Path) -> str:
    """The key kept in access/secret_key (made once, mode 0600), for a key not configured.

    Every gunicorn worker and every restart must sign cookies with the same key; the
    first process to need one writes it whole to a private temporary file and links it
    into place, which fails if another process got there first (then it reads theirs).
    """
    path = access_folder / SECRET_KEY_FILE_NAME
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        draft = path.with_name(f".{SECRET_KEY_FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(draft, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    key = path.read_text(encoding="utf-8").strip()
    if len(key) < 32:
        raise ValueError(f"{path} holds no usable key: delete it and sendwatch makes another")
    return key


def _content_security_policy(app: dash.Dash) -> dict[str, str | list[str]]:
    """What the browser may load and run: sendwatch's own files, and no other site.

    Dash's inline scripts (the renderer's start and clientside callbacks) are allowed by
    their hashes, refreshed by the guard once Dash has registered them all. Styles allow
    'unsafe-inline' because Plotly and AG Grid insert <style> elements at run time; no
    'unsafe-eval' (the dashboard, Plotly and AG Grid run without it, checked in Chromium).
    """
    return {
        "default-src": "'self'",
        "script-src": _script_sources(app),
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }


def _docs_policy() -> dict[str, str | list[str]]:
    """The documentation sites' policy: their own inline scripts and styles, Data Docs'
    CDNs, and eval (Vega compiles its chart expressions). Only LA officers and (dbt docs)
    administrators open them; framing, plugins and other sites' forms stay refused."""
    return {
        "default-src": "'self'",
        "script-src": ["'self'", "'unsafe-inline'", "'unsafe-eval'", *DOCS_CDNS],
        "style-src": ["'self'", "'unsafe-inline'", *DOCS_CDNS],
        "font-src": ["'self'", "data:", *DOCS_CDNS],
        "img-src": ["'self'", "data:"],
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }


def _script_sources(app: dash.Dash) -> list[str]:
    return ["'self'", *dict.fromkeys(app.csp_hashes())]  # Dash repeats some scripts


def _sso_client(server: Flask, sign_in: SignIn) -> Any:
    """authlib's OpenID Connect client: discovery, PKCE (S256), state and nonce are its own."""
    client_kwargs: dict[str, Any] = {
        "scope": "openid email profile",
        "code_challenge_method": "S256",
        "default_timeout": 15,
    }
    if not sign_in.oidc_client_secret:
        client_kwargs["token_endpoint_auth_method"] = "none"  # a public client, PKCE only
    oauth = OAuth(server)
    return oauth.register(
        name="sso",
        client_id=sign_in.oidc_client_id,
        client_secret=sign_in.oidc_client_secret,
        server_metadata_url=sign_in.oidc_metadata_url,
        client_kwargs=client_kwargs,
    )


def _load_account(username: str) -> _Account | None:
    """Flask-Login's user loader: the account behind the session, if it may still sign in.

    Read afresh on every request, so a disabled account or a changed role takes effect
    at once.
    """
    auth = _state()
    if auth.ended().has_ended(session.get(SESSION_ID)):
        session.clear()  # and the cookie sent back is empty, so it cannot be refreshed
        return None
    user = auth.store().get(username)
    if user is None or user.disabled:
        return None
    return _Account(user)


# -- the guard ---------------------------------------------------------------------------


def _guard() -> ResponseReturnValue | None:
    auth = _state()
    # Dash registers its inline scripts by the first request (before this runs): hash them.
    auth.talisman.content_security_policy["script-src"] = _script_sources(auth.app)
    path = request.path
    if path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
        return None
    if path == DASH_CALLBACK and not _same_origin():
        return _plain(403, "Refused: this request came from another site.")
    viewer = current_viewer()
    if viewer is None:
        if path.startswith(DATA_PREFIXES) or request.method not in ("GET", "HEAD"):
            return _plain(401, "Sign in to sendwatch to see this.")
        return redirect(url_for("sign_in", next=here()))
    for name, target in _names_asked_for(auth.app, path):
        if not roles.may_open(viewer, name):
            return refused(viewer, name, target)
    for urn, target in _urns_asked_for(auth.app, path):
        if not roles.may_see_school(viewer, urn):
            return refused(viewer, "school", target)  # e.g. another school's page
    return None  # unknown paths fall through to Dash, which shows its own 404 page


def _names_asked_for(app: dash.Dash, path: str) -> list[tuple[str, str]]:
    """The pages and routes (name, what was asked) this request would open."""
    for prefix, name in ROUTE_PREFIXES:
        if path.startswith(prefix):
            return [(name, path)]
    if path == DASH_CALLBACK:
        return _callback_pages(app)
    if request.method in ("GET", "HEAD") and not path.startswith(DATA_PREFIXES):
        name = page_name_for_path(app, path)
        return [(name, path)] if name else []
    return []


def _urns_asked_for(app: dash.Dash, path: str) -> list[tuple[str, str]]:
    """The schools (URN, what was asked) the page this request opens or renders is about.

    The exports check their own ``urn`` (dashboards/app.py); here, pages and the router.
    """
    if path == DASH_CALLBACK:
        body = request.get_json(silent=True)
        callback = app.callback_map.get(str(body.get("output"))) if isinstance(body, dict) else None
        if not isinstance(callback, dict):
            return []
        pathnames = _location_values(callback, body, "pathname")
        searches = _location_values(callback, body, "search") or [""]
        return [
            (urn, pathname + search)
            for pathname in pathnames
            for search in searches
            for urn in urns_for_location(app, pathname, search)
        ]
    if request.method in ("GET", "HEAD") and not path.startswith(DATA_PREFIXES):
        query = request.query_string.decode("utf-8", "replace")
        return [(urn, here()) for urn in urns_for_location(app, path, query)]
    return []


def _location_values(callback: dict[str, Any], body: dict[str, Any], prop: str) -> list[str]:
    """The values a callback request sends for the pages router's location ``prop``,
    taken at the positions the callback declared (Dash hands them over by position)."""
    sent = [*_as_list(body.get("inputs")), *_as_list(body.get("state"))]
    declared_values = [*callback.get("inputs", []), *callback.get("state", [])]
    values: list[str] = []
    for position, declared in enumerate(declared_values):
        if declared.get("id") != PAGES_LOCATION or declared.get("property") != prop:
            continue
        value = sent[position] if position < len(sent) else None
        found = value.get("value") if isinstance(value, dict) else None
        if isinstance(found, str):
            values.append(found)
    return values


def _callback_pages(app: dash.Dash) -> list[tuple[str, str]]:
    """The pages a Dash callback request would render or belongs to.

    The page's content arrives through Dash's pages router callback, whatever the address
    bar says, so the pathname it is asked to render is what is checked. Dash hands a
    callback its values by position (inputs, then state), whatever ids the request names,
    so the value is taken at the position the callback declared for the location's
    pathname. A callback defined in a page's module belongs to that page.
    """
    body = request.get_json(silent=True)  # cached: Dash reads the same parsed body
    if not isinstance(body, dict):
        return []
    callback = app.callback_map.get(str(body.get("output")))
    if not isinstance(callback, dict):
        return []
    names: list[tuple[str, str]] = []
    for pathname in _location_values(callback, body, "pathname"):
        name = page_name_for_path(app, pathname)
        if name:
            names.append((name, pathname))
    function = getattr(callback.get("callback"), "__wrapped__", None)
    modules = {page["module"]: _page_name(page) for page in dash.page_registry.values()}
    module_page = modules.get(getattr(function, "__module__", None))
    if module_page:
        names.append((module_page, DASH_CALLBACK))
    return names


def _as_list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _same_origin() -> bool:
    """No Origin header (not a cross-site browser request), or this site's own."""
    origin = request.headers.get("Origin")
    return origin is None or urlsplit(origin).netloc == request.host


def _safe_next(value: str | None) -> str | None:
    """A path on this site to return to, or None: never another site (no open redirect).

    Browsers read a backslash as a slash and drop tabs and newlines, so "/\\evil.example"
    or "/\\t/evil.example" would leave the site: anything holding them is refused.
    """
    if not value or len(value) > 2000 or not value.startswith("/") or value.startswith("//"):
        return None
    if "\\" in value or any(ord(character) < 32 or ord(character) == 127 for character in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path.startswith((SIGN_IN, SIGN_OUT)):
        return None
    return value


def _attempt_failed(response: Response) -> bool:
    """Whether a sign-in attempt counts against the limit: any answer but signed in."""
    return response.status_code != 302


def _no_store(response: Response) -> Response:
    """Nothing a signed-in page or answer holds stays in a browser's or proxy's cache."""
    if not request.path.startswith(OPEN_PREFIXES) and request.path != "/_favicon.ico":
        response.headers["Cache-Control"] = "no-store"
    return response


# -- the routes --------------------------------------------------------------------------


def _health() -> Response:
    return Response("ok", mimetype="text/plain")


def _sign_in() -> ResponseReturnValue:
    auth = _state()
    form = SignInForm()
    next_path = _safe_next(request.values.get("next"))
    if request.method == "GET":
        return _sign_in_page(form, next_path)
    # CSRFProtect has already refused a POST without this session's token (400).
    if not form.validate():
        return _sign_in_page(form, next_path, MISSING_DETAILS, 400)
    user = auth.store().authenticate(form.username.data or "", form.password.data or "")
    if user is None:
        # One message for an unknown name, a wrong password or a disabled account: the
        # page never tells a stranger which names exist.
        audit.record(
            auth.settings,
            username=form.username.data or "",
            role="",
            action="sign_in_failed",
            detail="password",
        )
        return _sign_in_page(form, next_path, WRONG_DETAILS, 401)
    return _signed_in(user, "password", next_path)


def _sign_in_page(
    form: SignInForm, next_path: str | None, error: str | None = None, status: int = 200
) -> ResponseReturnValue:
    sign_in = _state().sign_in
    body = render_template(
        "sign-in.html",
        **_page_context(),
        title="Error: Sign in" if error else "Sign in",  # the title says so first
        form=form,
        next_path=next_path,
        error=error,
        sso_name=sign_in.oidc_name if sign_in.sso_enabled else None,
    )
    return body, status


def _signed_in(user: User, method: str, next_path: str | None) -> Response:
    auth = _state()
    # A new session: nothing from before sign-in (a planted cookie, an old CSRF token,
    # single sign-on state) carries over.
    session.clear()
    flask_login.login_user(_Account(user), remember=False)
    session.permanent = True  # so the idle timeout applies (and is refreshed per request)
    session[SESSION_ID] = secrets.token_urlsafe(24)
    viewer = user.viewer()
    audit.record(
        auth.settings, username=user.username, role=user.role, action="sign_in", detail=method
    )
    if next_path:
        asked = urlsplit(next_path)
        name = page_name_for_path(auth.app, asked.path)
        urns = urns_for_location(auth.app, asked.path, asked.query)
        if (name is None or roles.may_open(viewer, name)) and all(
            roles.may_see_school(viewer, urn) for urn in urns
        ):
            return redirect(next_path)
    return redirect(roles.home_page(viewer))


def _sign_out() -> Response:
    if request.method != "POST":
        abort(405, valid_methods=["POST"])  # a link or an image must not sign anyone out
    auth = _state()
    viewer = current_viewer()
    if viewer is not None:
        auth.ended().end(session[SESSION_ID])
        audit.record(auth.settings, username=viewer.name, role=viewer.role, action="sign_out")
    flask_login.logout_user()
    session.clear()
    return redirect(url_for("sign_in"))


def _sign_in_sso() -> ResponseReturnValue:
    auth = _state()
    if auth.sso is None:
        abort(404)
    session[NEXT_AFTER_SSO] = _safe_next(request.args.get("next")) or ""
    try:
        return auth.sso.authorize_redirect(url_for("sign_in_callback", _external=True))
    except (AuthlibBaseError, RequestException, ValueError) as error:
        log.warning("single sign-on could not start: %s", error)
        return _message(
            502,
            "Single sign-on is not available",
            [
                f"sendwatch could not reach {auth.sign_in.oidc_name}'s sign-in "
                "service. Try again in a few minutes, or sign in with a username and password."
            ],
        )


def _sign_in_callback() -> ResponseReturnValue:
    """The provider sends the browser back here; authlib checks state, PKCE, ID token, nonce."""
    auth = _state()
    if auth.sso is None:
        abort(404)
    sign_in = auth.sign_in
    try:
        token = auth.sso.authorize_access_token()
    except (AuthlibBaseError, JoseError, RequestException, ValueError) as error:
        log.warning("single sign-on did not complete: %s", error)
        return _refuse_sso(
            "", "did not complete", 400, "Single sign-on did not finish", ["Please try again."]
        )
    claims = dict(token.get("userinfo") or {})
    next_path = _safe_next(session.get(NEXT_AFTER_SSO) or None)
    username = _sso_username(claims)
    if username is None:
        return _refuse_sso(
            str(claims.get("sub", "")),
            "no usable username",
            403,
            "Your account cannot sign in to sendwatch",
            [f"{sign_in.oidc_name} did not give sendwatch a usable email address or username."],
        )
    role = _role_for(_claim_values(claims.get(sign_in.oidc_groups_claim)), sign_in.oidc_role_groups)
    if role is None:
        return _refuse_sso(
            username,
            "no role from groups",
            403,
            "Your account has no sendwatch role",
            [
                f"You signed in to {sign_in.oidc_name}, but none of your groups gives a "
                "role in sendwatch. Ask your sendwatch administrator for access."
            ],
        )
    urns = _claim_values(claims.get(sign_in.oidc_urns_claim)) if role == roles.SCHOOL else []
    refusal = _record_sso_account(auth.store(), username, role, urns)
    if refusal:
        return _refuse_sso(username, refusal, 403, "You cannot sign in", [refusal])
    user = auth.store().get(username)
    assert user is not None
    return _signed_in(user, "sso", next_path)


def _refuse_sso(
    username: str, reason: str, status: int, title: str, paragraphs: list[str]
) -> ResponseReturnValue:
    session.clear()  # whoever was signed in here before, this browser is now signed out
    audit.record(
        _state().settings,
        username=username,
        role="",
        action="sign_in_failed",
        detail=f"sso: {reason}",
    )
    return _message(status, title, paragraphs)


def _sso_username(claims: dict[str, Any]) -> str | None:
    """The account's name: its email (unless the provider says it is unverified), else
    its preferred username, if it is a name sendwatch accepts."""
    candidates = [claims.get("preferred_username")]
    if claims.get("email_verified") is not False:
        candidates.insert(0, claims.get("email"))
    for candidate in candidates:
        if isinstance(candidate, str) and USERNAME_PATTERN.match(candidate.strip().lower()):
            return candidate.strip().lower()
    return None


def _claim_values(value: object) -> list[str]:
    """A claim holding one value or a list of them (a string may list them with commas)."""
    if isinstance(value, str):
        return [part for part in re.split(r"[\s,;]+", value) if part]
    if isinstance(value, list | tuple):
        return [str(item).strip() for item in value if str(item).strip()]
    if isinstance(value, int) and not isinstance(value, bool):
        return [str(value)]
    return []


def _role_for(groups: Iterable[str], role_groups: Iterable[tuple[str, str]]) -> str | None:
    """The one role someone's groups give: the most privileged, if several do."""
    member_of = set(groups)
    given = {role for group, role in role_groups if group in member_of}
    return next((role for role in SSO_ROLE_PRECEDENCE if role in given), None)


def _record_sso_account(store: UserStore, username: str, role: str, urns: list[str]) -> str | None:
    """Create or update the single sign-on account, so an administrator sees (and can
    disable) it; its role is the provider's at every sign-in. Returns why not, if not."""
    existing = store.get(username)
    try:
        if existing is None:
            store.add_sso_only(username, role, urns)
        elif existing.disabled:
            return "This sendwatch account is disabled. Ask your sendwatch administrator."
        elif existing.has_password:
            # never let the provider take over an account that signs in with a password
            return "This account signs in with a username and password, not single sign-on."
        elif existing.role != role or existing.urns != frozenset(urns):
            store.set_role(username, role, urns)
    except UserError as error:
        return f"sendwatch could not set up your account: {error}."
    return None


# -- pages and answers -------------------------------------------------------------------


def _page_context() -> dict[str, Any]:
    app = _state().app
    return {
        "stylesheets": [app.get_asset_url("style.css"), app.get_asset_url("sign-in.css")],
        "viewer": current_viewer(),
        "role_names": roles.ROLES,
    }


def _message(
    status: int, title: str, paragraphs: list[str], viewer: roles.Viewer | None = None
) -> ResponseReturnValue:
    context = _page_context()
    if viewer is not None:
        context["home"] = roles.home_page(viewer)
    return render_template("auth-message.html", **context, title=title, paragraphs=paragraphs), (
        status
    )


def _plain(status: int, text: str) -> Response:
    return Response(text, status=status, mimetype="text/plain")


def _form_expired(error: CSRFError) -> ResponseReturnValue:
    return _message(
        400,
        "This form has expired",
        [
            "For your security, a form only works for a while after it was shown, and only "
            "from sendwatch's own pages. Go back, reload the page and try again."
        ],
    )


def _too_many_attempts(error: Exception) -> ResponseReturnValue:
    response = _message(
        429,
        "Too many sign-in attempts",
        [
            "There have been too many attempts to sign in from this address in the last "
            "minute. Wait a minute, then try again."
        ],
    )
    return response
