"""Command line: `zeke-ls [serve]`, `doctor`, `models`, `ask`, `shim`, `index`, `glyph`.

Heavy modules (the server, providers, MCP) are imported inside each command so that
`--help` and `--version` stay instant.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from zeke_ls import __version__


def host_port(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {value!r}")
    return host or "127.0.0.1", int(port)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zeke-ls",
        description="zeke_ls: the Zeke AI coding daemon (an LSP server). "
        "With no command, serves LSP over stdio.",
    )
    parser.add_argument("--version", action="version", version=f"zeke-ls {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve LSP (stdio by default)")
    add_serve_arguments(serve)
    add_serve_arguments(parser, top_level=True)

    doctor = commands.add_parser("doctor", help="check the config and probe every endpoint")
    add_config_argument(doctor)
    doctor.add_argument("--json", action="store_true", help="print a JSON report")
    doctor.add_argument("--no-probe", action="store_true", help="do not contact any endpoint")
    doctor.add_argument("--timeout", type=float, default=2.0, help="probe timeout in seconds")

    models = commands.add_parser("models", help="list the aliases and where each one goes")
    add_config_argument(models)
    models.add_argument("--json", action="store_true", help="print JSON")

    ask = commands.add_parser("ask", help="stream one answer through the daemon's routing")
    add_config_argument(ask)
    ask.add_argument("--model", "-m", default=None, help="alias to use (default: [chat] model)")
    ask.add_argument("--system", default=None, help="system prompt")
    ask.add_argument("prompt", nargs="+", help="the prompt")

    shim = commands.add_parser(
        "shim",
        help="serve zeke-ls under the name of the server an editor starts (Grim: pylsp), "
        "forwarding to the real one",
    )
    shim.add_argument("name", help="the server the editor starts, e.g. pylsp")
    shim.add_argument(
        "--real",
        default=None,
        metavar="COMMAND",
        help="the real server (default: the next NAME on PATH that is no shim)",
    )
    shim.add_argument(
        "--install",
        default=None,
        metavar="DIR",
        help="write an executable NAME shim script into DIR and exit",
    )
    add_config_argument(shim)
    shim.add_argument("--log-file", metavar="PATH", default=None, help="zeke-ls log file")
    shim.add_argument("args", nargs="*", help="passed on to the real server (after --)")
    index = commands.add_parser("index", help="build the repository index of PATH and query it")
    add_config_argument(index)
    index.add_argument("path", help="workspace root to index")
    index.add_argument("--query", "-q", default=None, help="search the index (BM25)")
    index.add_argument("--repo-map", action="store_true", help="print the repo map")
    index.add_argument("--budget", type=int, default=1024, help="repo map token budget")
    index.add_argument("--limit", type=int, default=10, help="search results")
    index.add_argument("--json", action="store_true", help="print JSON")

    glyph = commands.add_parser("glyph", help="run the embedded Glyph MCP file-tool server (stdio)")
    glyph.add_argument("--root", action="append", required=True, help="workspace root (repeatable)")
    glyph.add_argument("--max-bytes", type=int, default=2_000_000, help="largest file served")
    return parser


def add_config_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="PATH",
        default=None,
        help="zeke.toml (default: $ZEKE_CONFIG, then ~/.config/zeke/zeke.toml)",
    )


def add_serve_arguments(parser: argparse.ArgumentParser, top_level: bool = False) -> None:
    default = argparse.SUPPRESS if not top_level else None
    add_config_argument(parser)
    transport = parser.add_mutually_exclusive_group()
    transport.add_argument(
        "--stdio", action="store_true", default=default, help="LSP over stdio (default)"
    )
    transport.add_argument(
        "--tcp", type=host_port, metavar="HOST:PORT", default=default, help="LSP over TCP"
    )
    transport.add_argument(
        "--ws", type=host_port, metavar="HOST:PORT", default=default, help="LSP over WebSocket"
    )
    parser.add_argument("--log-file", metavar="PATH", default=default, help="also log to this file")
    parser.add_argument(
        "-v", "--verbose", action="store_true", default=default, help="debug logging"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = args.command or "serve"
    if command == "serve":
        return serve(args)
    if command == "doctor":
        from zeke_ls.cli.doctor import run_doctor

        return run_doctor(
            args.config, as_json=args.json, probe=not args.no_probe, timeout_s=args.timeout
        )
    if command == "models":
        from zeke_ls.cli.doctor import run_models

        return run_models(args.config, as_json=args.json)
    if command == "ask":
        from zeke_ls.cli.ask import run_ask

        return run_ask(args.config, args.model, " ".join(args.prompt), args.system)
    if command == "shim":
        from zeke_ls.cli.shim import run_shim

        zeke_args = (["--config", args.config] if args.config else []) + (
            ["--log-file", args.log_file] if args.log_file else []
        )
        return run_shim(args.name, args.real, zeke_args, args.install, list(args.args))
    if command == "index":
        from zeke_ls.cli.index_cmd import run_index

        return run_index(
            args.path, args.config, args.query, args.repo_map, args.budget, args.limit, args.json
        )
    if command == "glyph":
        from zeke_ls.glyph.server import run_glyph

        return run_glyph(args.root, args.max_bytes)
    print(f"zeke-ls: unknown command {command}", file=sys.stderr)
    return 2


def serve(args: argparse.Namespace) -> int:
    from zeke_ls.config.store import ConfigStore
    from zeke_ls.core import log
    from zeke_ls.core.server import create_server

    tcp, ws = getattr(args, "tcp", None), getattr(args, "ws", None)
    log.setup(
        getattr(args, "log_file", None),
        bool(getattr(args, "verbose", False)),
        stdio=not (tcp or ws),
    )
    settings = ConfigStore(getattr(args, "config", None))
    settings.reload()  # problems are shown to the client once it has initialized
    server = create_server(settings)
    log.attach_to_client(server, bool(getattr(args, "verbose", False)))
    if tcp:
        server.start_tcp(*tcp)
    elif ws:
        server.start_ws(*ws)
    else:
        server.start_io()
    return 0
