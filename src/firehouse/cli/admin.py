"""Commands that work directly on the database (no server needed): serve, db, user, token,
audit, demo. The database comes from FIREHOUSE_DATABASE_URL."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from firehouse.db import Database
    from firehouse.engine import Engine
    from firehouse.settings import Settings

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="Manage users.", no_args_is_help=True)
token_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)


def _settings() -> Settings:
    from firehouse.settings import Settings

    return Settings()


def _database(settings: Settings) -> Database:
    from firehouse.app import make_database

    return make_database(settings)


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (FIREHOUSE_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to bind (FIREHOUSE_PORT).")] = None,
    no_engine: Annotated[
        bool, typer.Option("--no-engine", help="Serve HTTP only; run `firehouse worker` apart.")
    ] = False,
) -> None:
    """Apply pending migrations and serve firehouse over HTTP (with the engine, by default)."""
    import gc

    gc.disable()  # start-up only builds objects that live on; freeze_startup_heap turns it back on
    from firehouse import logs
    from firehouse.cli.startup import BackgroundEngine, PrepareFailed, prepare_in_background

    overrides = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    settings = _settings().model_copy(update=overrides)
    logs.configure(settings.log_level, settings.log_format)
    prepared = prepare_in_background(settings)

    import uvicorn

    from firehouse.app import create_app
    from firehouse.heap import freeze_startup_heap
    from firehouse.web.http import CoalescingHttpToolsProtocol

    db = _database(settings)
    app = create_app(settings, database=db)
    try:
        done = prepared()
    except PrepareFailed as exc:
        raise _fail(f"could not prepare the database: {exc}") from None
    db.known_heads = done.heads
    password = done.password
    url = settings.public_url()
    typer.echo(f"firehouse is starting on {url}", err=True)
    if password:
        typer.echo(
            f"First start: log in at {url}/login as 'admin' with password: {password}\n"
            "(shown once; set FIREHOUSE_ADMIN_PASSWORD to choose it)",
            err=True,
        )
    else:
        typer.echo(f"Log in at {url}/login", err=True)
    engine = None
    if not no_engine:

        def start_engine() -> Engine:
            from firehouse.engine import Engine

            started = Engine(
                db, settings=settings, max_sleep_seconds=settings.engine_max_sleep_seconds
            )
            started.start()
            return started

        engine = BackgroundEngine(start_engine)
    freeze_startup_heap()
    try:
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            http=CoalescingHttpToolsProtocol,
            log_config=None,
            access_log=False,
        )
    finally:
        if engine is not None:
            engine.stop()


def upgrade() -> None:
    """Apply pending migrations."""
    from firehouse.app import prepare_database

    settings = _settings()
    db = _database(settings)
    password = prepare_database(db, settings.model_copy(update={"auto_migrate": True}))
    typer.echo("database is at the latest schema")
    if password:
        typer.echo(f"created user 'admin' with password: {password}")


def current() -> None:
    """Print the schema revision of the database and the latest one."""
    from firehouse.db import current_revisions, head_revisions

    db = _database(_settings())
    typer.echo(
        f"current: {', '.join(sorted(current_revisions(db.engine))) or 'none'}\n"
        f"latest:  {', '.join(sorted(head_revisions()))}"
    )


def create_user(
    handle: Annotated[str, typer.Option(help="Login handle, lowercase.")],
    name: Annotated[str, typer.Option(help="Full name.")],
    email: Annotated[str, typer.Option(help="Email address.")],
    role: Annotated[str, typer.Option(help="viewer, responder, incident_manager or admin.")] = (
        "responder"
    ),
    timezone: Annotated[str, typer.Option(help="IANA time zone.")] = "UTC",
    password: Annotated[
        str | None,
        typer.Option(
            help="Password; read from FIREHOUSE_NEW_PASSWORD when unset.",
            envvar="FIREHOUSE_NEW_PASSWORD",
        ),
    ] = None,
) -> None:
    """Create a user."""
    from firehouse.actor import Actor
    from firehouse.app import prepare_database
    from firehouse.auth import service as auth
    from firehouse.errors import AppError
    from firehouse.people import service as people
    from firehouse.people.models import Role

    try:
        chosen = Role(role)
    except ValueError:
        raise _fail(f"--role must be one of {', '.join(r.value for r in Role)}", 2) from None
    settings = _settings()
    db = _database(settings)
    prepare_database(db, settings)
    try:
        with db.session() as session:
            user = people.create_user(
                session,
                actor=Actor.system("cli"),
                handle=handle,
                name=name,
                email=email,
                role=chosen,
                timezone=timezone,
                password_hash=auth.hash_password(password) if password else None,
            )
            typer.echo(f"created {user.handle} ({user.role.value})")
    except AppError as exc:
        raise _fail(exc.message) from None


def set_password(
    handle: Annotated[str, typer.Option(help="The user's handle.")],
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, envvar="FIREHOUSE_NEW_PASSWORD")
    ],
) -> None:
    """Set a user's password (ends their browser sessions)."""
    from firehouse.actor import Actor
    from firehouse.auth import service as auth
    from firehouse.errors import AppError
    from firehouse.people import service as people

    db = _database(_settings())
    try:
        with db.session() as session:
            user = people.find_user(session, handle)
            auth.set_password(
                session, actor=Actor.system("cli"), user_id=user.id, password=password
            )
    except AppError as exc:
        raise _fail(exc.message) from None
    typer.echo(f"password set for {handle}")


def create_token(
    user: Annotated[str, typer.Option(help="Handle of the token's owner.")],
    scope: Annotated[str, typer.Option(help="read or write.")] = "read",
    expires_in: Annotated[
        str, typer.Option(help="Lifetime like 30m, 12h, 90d, 2w; 'never' for no expiry.")
    ] = "90d",
    name: Annotated[str, typer.Option(help="A label to recognise the token by.")] = "cli",
) -> None:
    """Create an API token and print only the token on stdout."""
    from firehouse.actor import Actor
    from firehouse.auth import service as auth
    from firehouse.auth.models import TokenScope
    from firehouse.errors import AppError
    from firehouse.people import service as people

    try:
        chosen = TokenScope(scope)
    except ValueError:
        raise _fail("--scope must be read or write", 2) from None
    db = _database(_settings())
    try:
        with db.session() as session:
            owner = people.find_user(session, user)
            issued = auth.create_token(
                session,
                actor=Actor.system("cli"),
                user_id=owner.id,
                name=name,
                scope=chosen,
                expires_in=None if expires_in == "never" else auth.parse_duration(expires_in),
            )
    except AppError as exc:
        raise _fail(exc.message) from None
    sys.stdout.write(issued.secret + "\n")


def verify() -> None:
    """Check the audit trail's hash chain; name the first bad record."""
    from firehouse.audit import service as audit

    db = _database(_settings())
    with db.session(write=False) as session:
        result = audit.verify(session)
    if result.ok:
        typer.echo(f"audit trail intact: {result.checked} records verified")
        return
    typer.echo(
        f"audit trail BROKEN at seq {result.first_bad_seq}"
        + (f" (row id {result.first_bad_id})" if result.first_bad_id else "")
        + f": {result.reason}; {result.checked} records verified before it",
        err=True,
    )
    raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command()(serve)
    db_app.command("upgrade")(upgrade)
    db_app.command("current")(current)
    user_app.command("create")(create_user)
    user_app.command("set-password")(set_password)
    token_app.command("create")(create_token)
    audit_app.command("verify")(verify)
    app.add_typer(db_app, name="db")
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")
    app.add_typer(audit_app, name="audit")
