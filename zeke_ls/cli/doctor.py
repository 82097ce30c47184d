"""`zeke-ls doctor` and `zeke-ls models`: say exactly what is wrong, and where each alias goes."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from zeke_ls.config.schema import ConfigProblem, ZekeConfig, secret_status
from zeke_ls.config.store import ConfigStore
from zeke_ls.providers.health import EndpointHealth, probe_all
from zeke_ls.providers.routing import all_endpoints, all_routes


def load(config_path: str | None) -> ConfigStore:
    store = ConfigStore(config_path)
    store.reload()
    return store


def secret_problems(config: ZekeConfig) -> list[ConfigProblem]:
    """A referenced variable that is unset is a warning: only that provider's requests fail."""
    refs = [("api.api_key", config.api.api_key)]
    refs += [(f"providers.{name}.api_key", p.api_key) for name, p in config.providers.items()]
    problems = []
    for key_path, value in refs:
        status = secret_status(value)
        if status.endswith("(missing)"):
            var = value[4:] if value else ""
            problems.append(
                ConfigProblem(
                    "warning",
                    "environment",
                    key_path,
                    f"{var} is not set",
                    f"export {var}=... before starting",
                )
            )
    return problems


def doctor_report(store: ConfigStore, probe: bool, timeout_s: float) -> dict[str, Any]:
    config = store.config
    problems = store.problems + secret_problems(config)
    usable = not any(p.severity == "error" for p in problems)
    endpoints: list[EndpointHealth] = []
    if probe and usable:
        endpoints = asyncio.run(probe_all(all_endpoints(config), timeout_s))
    report: dict[str, Any] = {
        "configFile": str(store.user_path),
        "sources": store.sources,
        "problems": [p.to_json() for p in problems],
        "notes": [n.to_json() for n in store.notes],
        "aliases": [
            route.to_json() | {"describe": route.describe()} for route in all_routes(config)
        ],
        "endpoints": [e.to_json() for e in endpoints],
        "probed": probe and usable,
        "usable": usable,
        "advice": advice(config, all_routes(config)),
    }
    if endpoints and not any(e.reachable for e in endpoints):
        report["usable"] = False
        report["reason"] = "no endpoint is reachable"
    elif not usable:
        report["reason"] = "the config has errors"
    return report


def advice(config: ZekeConfig, routes: list[Any]) -> list[str]:
    """Plain words for what the config does not say: a toy model behind real features."""
    from zeke_ls.providers.llamacpp import TOY_NOTE

    section = config.providers.get("llamacpp")
    uses_local = any("llamacpp" in json.dumps(route.to_json()) for route in routes)
    return [TOY_NOTE] if uses_local and not (section and section.model_path) else []


def run_doctor(config_path: str | None, as_json: bool, probe: bool, timeout_s: float) -> int:
    store = load(config_path)
    report = doctor_report(store, probe, timeout_s)
    if as_json:
        print(json.dumps(report, indent=2))
    else:
        print_doctor(report)
    return 0 if report["usable"] else 1


def print_doctor(report: dict[str, Any]) -> None:
    out = sys.stdout
    out.write(f"config file: {report['configFile']}\n")
    out.write(f"in effect:   {', '.join(report['sources'])}\n")
    if report["problems"]:
        out.write("\nproblems:\n")
        for p in report["problems"]:
            fields = (p["severity"], p["source"], p["keyPath"], p["message"], p["hint"])
            out.write(f"  {ConfigProblem(*fields)}\n")
    print_notes(report["notes"])
    out.write("\naliases:\n")
    print_aliases(report["aliases"])
    if report["probed"]:
        out.write("\nendpoints:\n")
        for e in report["endpoints"]:
            if e["reachable"]:
                detail = f"{e['kind']}, HTTP {e['status']}, {e['latencyMs']} ms"
                out.write(f"  reachable    {e['url']} ({detail})\n")
            else:
                out.write(f"  UNREACHABLE  {e['url']} ({e['kind']}): {e['error']}\n")
    elif report["usable"]:
        out.write("\nendpoints: not probed (--no-probe)\n")
    for note in report.get("advice", []):
        out.write(f"\nnote: {note}\n")
    verdict = "usable" if report["usable"] else f"NOT usable: {report.get('reason', '')}"
    out.write(f"\nresult: config {verdict}\n")


def print_notes(notes: list[dict[str, str]]) -> None:
    """What was read from the Zeke CLI's formats, and what belongs to other Zeke tools."""
    taken = [n for n in notes if n["kind"] == "took"]
    left = [n for n in notes if n["kind"] == "left"]
    if taken:
        sys.stdout.write("\ntaken from the Zeke CLI's config:\n")
        for n in taken:
            sys.stdout.write(f"  {n['source']}: {n['key']} -> {n['detail']}\n")
    if left:
        sys.stdout.write("\nleft alone (notes, not errors):\n")
        for n in left:
            sys.stdout.write(f"  {n['source']}: {n['key']}: {n['detail']}\n")


def print_aliases(aliases: list[dict[str, Any]]) -> None:
    if not aliases:
        sys.stdout.write("  (none defined: add an [aliases] table)\n")
    width = max((len(a["alias"]) for a in aliases), default=0)
    for a in aliases:
        sys.stdout.write(
            f"  {a['alias']:<{width}}  {a['route']}\n  {'':<{width}}    -> {a['describe']}\n"
        )


def run_models(config_path: str | None, as_json: bool) -> int:
    store = load(config_path)
    for problem in store.problems:
        print(problem, file=sys.stderr)
    routes = [r.to_json() | {"describe": r.describe()} for r in all_routes(store.config)]
    if as_json:
        print(json.dumps(routes, indent=2))
    else:
        print_aliases(routes)
    return 0 if not any(p.severity == "error" for p in store.problems) else 1
