"""`firehouse demo`: fill the database named by FIREHOUSE_DATABASE_URL with a demo history."""

from __future__ import annotations

import time
from typing import Annotated

import typer


def demo(
    incidents: Annotated[
        int, typer.Option("--incidents", min=10, help="How many incidents to make.")
    ] = 300,
    days: Annotated[
        int, typer.Option("--days", min=1, max=3650, help="Spread them over this many days.")
    ] = 90,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same history.")] = 42,
    force: Annotated[
        bool, typer.Option("--force", help="Add the history even if there are incidents already.")
    ] = False,
) -> None:
    """Fill the database with teams, people, services and a realistic incident history."""
    from sqlalchemy.engine import make_url

    from firehouse.actor import Actor
    from firehouse.app import make_database, prepare_database
    from firehouse.demo import DEMO_PASSWORD, load_demo
    from firehouse.errors import AppError
    from firehouse.settings import Settings

    started = time.perf_counter()
    settings = Settings().model_copy(update={"auto_migrate": True})
    db = make_database(settings)
    admin_password = prepare_database(db, settings)
    step = max(1000, incidents // 10)

    def progress(done: int, total: int) -> None:
        if total >= 10_000 and (done % step == 0 or done == total):
            typer.echo(f"  {done:,} / {total:,} incidents", err=True)

    try:
        with db.session() as session:
            result = load_demo(
                session,
                actor=Actor.system("demo"),
                incidents_count=incidents,
                days=days,
                seed=seed,
                force=force,
                progress=progress,
            )
        if not db.is_sqlite:
            # fresh planner statistics: right after a bulk load PostgreSQL would otherwise
            # plan list queries as if the tables were empty, until autovacuum catches up
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")
    except AppError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    finally:
        db.dispose()
    elapsed = time.perf_counter() - started
    where = make_url(db.url).render_as_string(hide_password=True)
    statuses = ", ".join(f"{n} {s}" for s, n in result.statuses.items() if n)
    typer.echo(
        f"Loaded {result.incidents:,} incidents (INC-{result.first_number}.."
        f"INC-{result.last_number}) over {days} days into {where} in {elapsed:.1f} s\n"
        f"  {statuses}\n"
        f"  {result.teams} teams, {result.services} services, "
        f"{result.users_created} new users, {result.rows['timeline_entries']:,} timeline entries"
    )
    logins = ", ".join(f"{handle} ({role.value})" for role, handle in result.logins.items())
    typer.echo(
        f"\nStart the server with `firehouse serve`, then log in at {settings.public_url()}/login\n"
        f"as any demo user with the password {DEMO_PASSWORD}, for example: {logins}"
    )
    if admin_password:
        typer.echo(f"The 'admin' user was created too, with the password {admin_password}")


def register(app: typer.Typer) -> None:
    app.command()(demo)
