"""The `promisebot` command: run, scheduler, db upgrade, import, export, digest, sandbox."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from promisebot.settings import Settings, SettingsError, get_settings

if TYPE_CHECKING:
    from promisebot.bootstrap import Runtime


class CommandError(Exception):
    """A command failed in a way the operator can fix; printed as one line, exit 1."""


def _settings() -> Settings:
    return get_settings()


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from promisebot.db import migrate

    migrate.upgrade(_settings().sqlalchemy_url)
    print("Database is up to date.")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from promisebot.bootstrap import open_services
    from promisebot.db.migrate import DatabaseNotReady, require_schema
    from promisebot.domain import DomainError
    from promisebot.services.trackers import InvalidTrackerRows, TrackerFileError

    with open_services(_settings()) as services:
        try:
            require_schema(services.db)
            report = services.trackers.import_file(args.path)
        except InvalidTrackerRows as error:
            for problem in error.problems:
                print(problem, file=sys.stderr)
            raise CommandError(f"{args.path}: {error}") from None
        except TrackerFileError as error:
            raise CommandError(f"{args.path}: {error}") from None
        except (DatabaseNotReady, DomainError) as error:
            raise CommandError(str(error)) from None
    print(report.summary())
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from promisebot.bootstrap import open_services
    from promisebot.db.migrate import DatabaseNotReady, require_schema
    from promisebot.domain import DomainError

    suffix = Path(args.output).suffix.lower().lstrip(".")
    if args.output != "-" and suffix in ("csv", "json") and suffix != args.format:
        raise CommandError(f"{args.output} ends in .{suffix}; add --format {suffix} to write it.")
    with open_services(_settings()) as services:
        try:
            require_schema(services.db)
            if args.output == "-":
                sys.stdout.write(services.trackers.export(args.format))
            else:
                print(services.trackers.export_to(args.output, args.format).summary())
        except (DatabaseNotReady, DomainError) as error:
            raise CommandError(str(error)) from None
        except OSError as error:
            raise CommandError(f"Cannot write {args.output}: {error.strerror}.") from None
    return 0


def cmd_digest(args: argparse.Namespace) -> int:
    from promisebot.bootstrap import build_runtime

    settings = _settings()
    if args.threshold is not None and not 1 <= args.threshold <= 3650:
        raise CommandError("--threshold must be a number of days from 1 to 3650.")
    if not args.dry_run and settings.slack_bot_token is None:
        raise CommandError("SLACK_BOT_TOKEN is not set; use --dry-run to print the digest.")
    runtime = build_runtime(settings)
    try:
        return _digest(args, runtime)
    finally:
        runtime.close()


def _digest(args: argparse.Namespace, runtime: Runtime) -> int:
    import threading

    from slack_sdk.errors import SlackApiError
    from sqlalchemy.exc import SQLAlchemyError

    from promisebot.slack.blocks.digest import render_digest, render_digest_text
    from promisebot.slack.workspace import REJECTED_TOKEN_ERRORS, RejectedBotToken

    settings = runtime.settings
    try:
        # A manual digest needs no DigestRun claim: the operator asked for exactly one.
        content = runtime.services.digests.collect_due(args.threshold)
    except SQLAlchemyError as error:
        raise CommandError(
            f"Cannot read the database ({type(error).__name__}); is it migrated? "
            "Run `promisebot db upgrade`."
        ) from None
    if args.dry_run:
        print(render_digest_text(content, settings.tz))
        return 0
    if content.is_empty and not settings.digest_post_all_clear:
        print(f"Nothing is due (threshold {content.threshold_days} days); nothing was posted.")
        return 0
    try:
        # A few attempts (one log line each), then give up: this is a one-off command.
        team = runtime.workspace.keep_verifying(threading.Event(), max_attempts=4)
    except RejectedBotToken as error:
        raise CommandError(str(error)) from None
    if team is None:
        raise CommandError(
            f"Cannot reach the Slack API at {settings.slack_api_url}; nothing was posted."
        )
    try:
        posted = runtime.messenger.post(args.channel, render_digest(content, settings.tz))
    except SlackApiError as error:
        code = str(error.response.get("error"))
        if code in REJECTED_TOKEN_ERRORS:
            raise CommandError(str(RejectedBotToken(code))) from None
        raise CommandError(f"Slack refused the digest: {code}.") from None
    except OSError as error:
        raise CommandError(f"Cannot reach Slack: {error}.") from None
    print(f"Posted the digest ({content.item_count} due) to {posted.channel} at {posted.ts}.")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from promisebot import serve

    runtime = _runtime()
    try:
        if args.http or runtime.settings.slack_app_token is None:
            serve.run_http(
                runtime, port=args.port or runtime.settings.port, scheduler=not args.no_scheduler
            )
        else:
            serve.run_socket_mode(runtime, scheduler=not args.no_scheduler)
    except serve.StartupError as error:
        raise CommandError(str(error)) from None
    finally:
        runtime.close()
    return 0


def cmd_scheduler(args: argparse.Namespace) -> int:
    from promisebot import serve

    runtime = _runtime()
    try:
        serve.run_scheduler(
            runtime,
            on_ready=lambda: print("Scheduler running; stop with Ctrl-C or SIGTERM.", flush=True),
        )
    except serve.StartupError as error:
        raise CommandError(str(error)) from None
    finally:
        runtime.close()
    print("Scheduler stopped.")
    return 0


def _runtime() -> Runtime:
    """Settings, logging, and (for SQLite) migrations: what every long-running command needs."""
    from promisebot import logs
    from promisebot.bootstrap import build_runtime

    settings = _settings()
    logs.configure(settings.log_level, settings.log_format)
    runtime = build_runtime(settings)
    if not runtime.db.is_postgres:
        from promisebot.db import migrate

        migrate.upgrade(settings.sqlalchemy_url)
    return runtime


def cmd_sandbox(args: argparse.Namespace) -> int:
    from pathlib import Path

    from promisebot.sandbox import console

    return console.run(args.command, Path(args.database or "sandbox.db"), args.user)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="promisebot", description="Slack bot for a newsroom's promise tracker."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="serve Slack (Socket Mode if SLACK_APP_TOKEN is set)")
    run.add_argument("--http", action="store_true", help="force HTTP mode (POST /slack/events)")
    run.add_argument("--port", type=int, default=None, help="HTTP port (default: $PORT or 3000)")
    run.add_argument(
        "--no-scheduler", action="store_true", help="do not run scheduled jobs in this process"
    )
    run.set_defaults(handler=cmd_run)

    scheduler = commands.add_parser("scheduler", help="run only the scheduled jobs")
    scheduler.set_defaults(handler=cmd_scheduler)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_commands.add_parser("upgrade", help="apply migrations up to head").set_defaults(
        handler=cmd_db_upgrade
    )

    importer = commands.add_parser("import", help="import a tracker file (.csv or .json)")
    importer.add_argument("path", help="the file to import")
    importer.set_defaults(handler=cmd_import)

    exporter = commands.add_parser("export", help="export all trackers")
    exporter.add_argument("--format", choices=("csv", "json"), default="json")
    exporter.add_argument("-o", "--output", default="-", help="file to write (default: stdout)")
    exporter.set_defaults(handler=cmd_export)

    digest = commands.add_parser("digest", help="build and post one still-stalled digest now")
    digest.add_argument("--channel", required=True, help="Slack channel ID")
    digest.add_argument("--threshold", type=int, default=None, help="stalled for at least N days")
    digest.add_argument("--dry-run", action="store_true", help="print instead of posting")
    digest.set_defaults(handler=cmd_digest)

    sandbox = commands.add_parser("sandbox", help="try the bot locally against a fake Slack")
    sandbox.add_argument("-c", "--command", action="append", default=[], help="run and exit")
    sandbox.add_argument("--user", default=None, help="act as this Slack user ID")
    sandbox.add_argument("--database", default=None, help="SQLite file (default: sandbox.db)")
    sandbox.set_defaults(handler=cmd_sandbox)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except (SettingsError, CommandError) as error:
        print(f"promisebot: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
