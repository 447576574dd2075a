"""The command line's errors for people: one red line, no traceback. Their own module,
so every command group (cli.py's, access/commands.py's) raises them without a loop."""

from __future__ import annotations

import click


class SendwatchError(click.ClickException):
    """An error for people: one line, no traceback."""

    def show(self, file: object = None) -> None:
        click.secho(f"sendwatch: {self.format_message()}", err=True, fg="red")


class SendwatchUsageError(SendwatchError):
    """The command was asked for something that cannot be: exit 2, as click's own."""

    exit_code = 2
