"""The `promisebot` command: run, scheduler, db upgrade, import, export, digest, sandbox."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from promisebot.settings import Settings, SettingsError, get_settings


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
    raise CommandError("import is not available yet")


def cmd_export(args: argparse.Namespace) -> int:
    raise CommandError("export is not available yet")


def cmd_digest(args: argparse.Namespace) -> int:
    raise CommandError("digest is not available yet")


def cmd_run(args: argparse.Namespace) -> int:
    from promisebot import logs, serve
    from promisebot.bootstrap import build_runtime

    settings = _settings()
    logs.configure(settings.log_level, settings.log_format)
    runtime = build_runtime(settings)
    if not runtime.db.is_postgres:
        from promisebot.db import migrate

        migrate.upgrade(settings.sqlalchemy_url)
    try:
        if args.http or settings.slack_app_token is None:
            serve.run_http(runtime, port=args.port or settings.port)
        else:
            serve.run_socket_mode(runtime)
    except serve.StartupError as error:
        raise CommandError(str(error)) from None
    finally:
        runtime.close()
    return 0


def cmd_scheduler(args: argparse.Namespace) -> int:
    raise CommandError("scheduler is not available yet")


def cmd_sandbox(args: argparse.Namespace) -> int:
    raise CommandError("sandbox is not available yet")


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
