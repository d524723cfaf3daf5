"""`flask --app wsgi …` commands: users and demo data."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from tracker.errors import TrackerError
from tracker.models import ROLES
from tracker.validation import detail_lines


def register(app: Flask) -> None:
    """Attach the commands to `app`."""
    app.cli.add_command(create_user_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(notices_group)


@click.command("create-user")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--role", type=click.Choice(ROLES), default="learner", show_default=True)
@click.option("--unit", default=None, help="Unit name (created if missing).")
@click.option("--display-name", default=None)
@with_appcontext
def create_user_command(
    username: str, password: str, role: str, unit: str | None, display_name: str | None
) -> None:
    """Create USERNAME, or update it if it exists."""
    from tracker.services.accounts import save_user

    if not password:
        raise click.BadParameter("must not be empty", param_hint="--password")
    try:
        principal = save_user(username, password, role, unit, display_name)
    except TrackerError as error:
        lines = detail_lines(error.details or [], {})
        raise click.ClickException(" ".join([str(error.message), *lines])) from error
    click.echo(f"user {principal.username} (id {principal.id}, {principal.role}) saved")


@click.command("seed-demo")
@click.option("--no-history", is_flag=True, help="Skip the year of sessions, trainings and claims.")
@with_appcontext
def seed_demo_command(no_history: bool) -> None:
    """Add demo users, units and courseware, and a year of history (idempotent)."""
    from tracker.demo import seed_demo

    for line in seed_demo(history=not no_history):
        click.echo(line)


@click.group("notices")
def notices_group() -> None:
    """In-app notices."""


@notices_group.command("send-reminders")
@with_appcontext
def send_reminders_command() -> None:
    """Remind people behind their yearly target and admins of overdue filings (for cron)."""
    from tracker.services.reminders import send_reminders

    run = send_reminders()
    click.echo(
        f"checked {run.checked} people, reminded {run.behind} behind their target, "
        f"told {run.overdue_filings} overdue filings"
    )
