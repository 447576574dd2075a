"""What a request reads once, however often its page asks: the settings.

Below both the sign-in layer (``auth``) and the data layer (``data``), which each need
them, so neither imports the other for it.
"""

from __future__ import annotations

from flask import g, has_request_context

from sendwatch.settings import Settings, load_settings


def request_settings() -> Settings:
    """The settings, read once per request (a page asks for them hundreds of times);
    outside a request (an export from the command line), read afresh."""
    if not has_request_context():
        return load_settings()
    if "sendwatch_settings" not in g:
        g.sendwatch_settings = load_settings()
    return g.sendwatch_settings
