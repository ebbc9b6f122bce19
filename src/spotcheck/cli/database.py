"""``spotcheck db``: the database schema."""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["db_app"]

db_app = typer.Typer(help="The database schema.", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade_command(
    database_url: Annotated[
        str | None,
        typer.Option(help="Any SQLAlchemy URL. Default: SPOTCHECK_DATABASE_URL, else SQLite in SPOTCHECK_DATA_DIR."),
    ] = None,
) -> None:
    """Upgrade the database schema to this SpotCheck's revision (run it before starting a new version)."""
    from spotcheck.cli.failures import explained_startup_failures, read_settings
    from spotcheck.db import SchemaError, upgrade_database
    from spotcheck.observability.logs import configure_logging

    configure_logging("text")

    settings = read_settings()
    if database_url is None:
        database_url = settings.resolved_database_url
    try:
        with explained_startup_failures():
            result = upgrade_database(database_url)
    except SchemaError as exc:
        typer.echo(f"spotcheck: {exc}", err=True)
        raise typer.Exit(2) from None
    before = result.before or ("none (from before migrations, stamped 0001)" if result.stamped_legacy else "none")
    if result.before == result.after:
        typer.echo(f"database schema already at {result.after}")
    else:
        typer.echo(f"database schema upgraded from {before} to {result.after}")
    if settings.jobs.queue == "procrastinate":
        from spotcheck.jobs.procrastinate import apply_procrastinate_schema

        created = apply_procrastinate_schema(database_url)
        typer.echo("Procrastinate schema created" if created else "Procrastinate schema already there")
