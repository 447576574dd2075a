"""Who is told when a night fails, through Airflow's own notifier classes.

Chosen by the settings when a task fails (never when the DAG is parsed):
``SENDWATCH_NOTIFY_EMAIL`` sends an email with the smtp provider's ``SmtpNotifier``
(through Airflow's ``smtp_default`` connection); ``SENDWATCH_NOTIFY_WEBHOOK`` posts
JSON with :class:`WebhookNotifier`. With neither, the failure is in the task log and
``runs/<run>/failed.json``, as always.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from typing import Any

from airflow.sdk import BaseNotifier

from sendwatch.settings import Settings, load_settings

LOG = logging.getLogger(__name__)
SUBJECT = "sendwatch: the nightly refresh failed at {{ ti.task_id }}"
MESSAGE = (
    "The night {{ run_id }} failed at {{ ti.task_id }}; yesterday's snapshot is still "
    "served. runs/{{ run_id }}/failed.json says why."
)


class WebhookNotifier(BaseNotifier):
    """Post a night's failure as JSON to a URL (a chat channel's incoming webhook)."""

    template_fields = ("text",)

    def __init__(self, url: str, text: str = MESSAGE) -> None:
        super().__init__()
        self.url = url
        self.text = text

    def notify(self, context: Any) -> None:
        body = json.dumps({"text": self.text}).encode("utf-8")
        request = urllib.request.Request(
            self.url, data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        with urllib.request.urlopen(request, timeout=10) as answer:  # the LA's own URL
            answer.read()


def failure_notifiers(settings: Settings) -> list[BaseNotifier]:
    """The notifiers the settings ask for (none, one or both)."""
    notifiers: list[BaseNotifier] = []
    if settings.notify_email:
        from airflow.providers.smtp.notifications.smtp import SmtpNotifier

        notifiers.append(
            SmtpNotifier(to=list(settings.notify_email), subject=SUBJECT, html_content=MESSAGE)
        )
    if settings.notify_webhook:
        notifiers.append(WebhookNotifier(settings.notify_webhook))
    return notifiers


def on_failure(context: Any) -> None:
    """A task's failure callback: tell whoever the settings name. A notifier that
    fails is logged, never raised: the night has failed already, and says why."""
    for notifier in failure_notifiers(load_settings()):
        try:
            notifier(context)
        except Exception:  # a mail server or webhook down must not hide the failure
            LOG.exception("could not send the failure notice with %s", type(notifier).__name__)
