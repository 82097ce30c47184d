"""Where the config comes from: file lookup, overlays, last-good config, hot reload.

Layers, lowest first: the user file (`--config`, `$ZEKE_CONFIG`, or
`$XDG_CONFIG_HOME/zeke/zeke.toml`), the workspace `.zeke.toml`, LSP `initializationOptions`
`{"zeke": {...}}`, then `workspace/didChangeConfiguration`. Layers are deep-merged, then
validated once. A layer with errors leaves the last good config in effect.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zeke_ls.config.problems import ConfigProblem

if TYPE_CHECKING:
    from zeke_ls.config.schema import ZekeConfig

from zeke_ls.config.zeke_cli import Note
from zeke_ls.config.zeke_cli import adapt as adapt_zeke_cli

log = logging.getLogger(__name__)

WORKSPACE_FILE = ".zeke.toml"


@dataclass
class Layer:
    """One source of settings, in the order it is applied."""

    name: str
    """Human label: a file path, `initializationOptions`, `didChangeConfiguration`."""
    data: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None


def user_config_path(explicit: str | None, env: Mapping[str, str] | None = None) -> Path:
    """`--config`, then `$ZEKE_CONFIG`, then `$XDG_CONFIG_HOME/zeke/zeke.toml`."""
    env = os.environ if env is None else env
    if explicit:
        return Path(explicit).expanduser()
    if env.get("ZEKE_CONFIG"):
        return Path(env["ZEKE_CONFIG"]).expanduser()
    xdg = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(xdg) / "zeke" / "zeke.toml"


def read_toml(path: Path) -> tuple[Layer | None, list[ConfigProblem]]:
    """Read one TOML file; a missing file is no layer and no problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, []
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return None, [
            ConfigProblem(
                "error",
                str(path),
                "",
                f"cannot read file: {reason}",
                "check the file's permissions and encoding (UTF-8)",
            )
        ]
    import tomllib  # ~20 ms: only once a config file exists

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, [
            ConfigProblem(
                "error",
                str(path),
                "",
                f"not valid TOML: {exc}",
                "fix the syntax at the line and column given",
            )
        ]
    return Layer(str(path), data, path), []


def deep_merge(base: dict[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """Tables merge key by key; any other value in the overlay replaces the base's."""
    merged = dict(base)
    for key, value in overlay.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def build(layers: list[Layer]) -> tuple[ZekeConfig | None, list[ConfigProblem]]:
    """Merge and validate; problems name the layer that set the offending key."""
    from pydantic import ValidationError

    from zeke_ls.config.schema import (
        ZekeConfig,
        semantic_problems,
        unknown_key_problems,
        validation_problems,
    )

    merged: dict[str, Any] = {}
    for layer in layers:
        merged = deep_merge(merged, layer.data)
    try:
        config = ZekeConfig.model_validate(merged)
    except ValidationError as exc:
        problems = validation_problems(exc, "config")
        return None, [_attribute(p, layers) for p in problems]
    problems = list(unknown_key_problems(config, "config")) + semantic_problems(config, "config")
    return config, [_attribute(p, layers) for p in problems]


def _attribute(problem: ConfigProblem, layers: list[Layer]) -> ConfigProblem:
    """Name the last layer whose data holds the problem's key path."""
    for layer in reversed(layers):
        if _has_path(layer.data, problem.key_path.split(".")):
            return ConfigProblem(
                problem.severity, layer.name, problem.key_path, problem.message, problem.hint
            )
    return problem


def _has_path(data: Any, parts: list[str]) -> bool:
    for part in parts:
        if isinstance(data, Mapping) and part in data:
            data = data[part]
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return False
    return True


Listener = Callable[["ZekeConfig"], None]


def _only(paths: frozenset[Path]) -> Callable[[Any, str], bool]:
    """A watchfiles filter passing changes to these files only (not their whole folders)."""
    return lambda _change, path: Path(path) in paths or Path(path).resolve() in paths


def watch_targets(paths: list[Path]) -> tuple[frozenset[Path], list[str]]:
    """The files to react to (as named and as resolved) and the directories to watch: each
    file's own directory, never recursively, so a workspace root with `vendor -> /usr` costs
    one watch, not thousands. A symlinked config file's target directory is watched too,
    so that edits to the target still reload."""
    files = {p.absolute() for p in paths} | {p.resolve() for p in paths}
    dirs = sorted({str(p.parent) for p in files if p.parent.is_dir()})
    return frozenset(files), dirs


class ConfigStore:
    """The config in effect, rebuilt from its layers whenever one of them changes."""

    def __init__(self, explicit_path: str | None = None, env: Mapping[str, str] | None = None):
        self.user_path = user_config_path(explicit_path, env)
        self.explicit = explicit_path is not None
        self.workspace_path: Path | None = None
        self.overlays: dict[str, dict[str, Any]] = {}
        self._config: ZekeConfig | None = None  # None: the defaults, built on first use
        self.sources: list[str] = ["defaults"]
        self.problems: list[ConfigProblem] = []
        self.notes: list[Note] = []
        """What was taken from the Zeke CLI's formats, and what other tools' keys were left."""
        self._listeners: list[Listener] = []

    @property
    def config(self) -> ZekeConfig:
        """The config in effect. With no layer it is the defaults, validated only when first
        read: pydantic and the schema cost ~12 MB and ~0.2 s that an idle daemon need not pay."""
        if self._config is None:
            from zeke_ls.config.schema import ZekeConfig

            self._config = ZekeConfig()
        return self._config

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def set_workspace_root(self, root: Path | None) -> None:
        self.workspace_path = root / WORKSPACE_FILE if root else None

    def set_overlay(self, name: str, data: Any) -> list[ConfigProblem]:
        """Set an LSP overlay; anything but a table is refused with a problem."""
        if data is None:
            self.overlays.pop(name, None)
            return []
        if not isinstance(data, Mapping):
            return [
                ConfigProblem(
                    "error",
                    name,
                    "zeke",
                    f"expected a table, got {type(data).__name__}",
                    'send {"zeke": {...}} with zeke.toml keys',
                )
            ]
        self.overlays[name] = dict(data)
        return []

    def watched_paths(self) -> list[Path]:
        return [p for p in (self.user_path, self.workspace_path) if p is not None]

    def reload(self) -> list[ConfigProblem]:
        """Rebuild from every layer. On errors, keep the last good config and return them."""
        layers, problems = self._read_layers()
        if not layers and not problems:
            self._apply_defaults()
            self.problems = []
            return []
        if not any(p.severity == "error" for p in problems):
            config, build_problems = build(layers)
            problems += build_problems
            if config is not None and not any(p.severity == "error" for p in build_problems):
                self._apply(config, layers)
        self.problems = problems
        return problems

    def _read_layers(self) -> tuple[list[Layer], list[ConfigProblem]]:
        layers: list[Layer] = []
        problems: list[ConfigProblem] = []
        self.notes = []
        for path in self.watched_paths():
            layer, found = read_toml(path)
            problems += found
            if layer is not None:  # the Zeke CLI's formats and other Zeke tools' sections
                layer.data, notes = adapt_zeke_cli(layer.data, layer.name)
                self.notes += notes
            if layer is None and path == self.user_path and self.explicit and not found:
                problems.append(
                    ConfigProblem(
                        "error", str(path), "", "file not found", "check the --config path"
                    )
                )
            if layer is not None:
                layers.append(layer)
        layers += [Layer(name, data) for name, data in self.overlays.items()]
        return layers, problems

    def _apply(self, config: ZekeConfig, layers: list[Layer]) -> None:
        self._config = config
        self.sources = ["defaults"] + [layer.name for layer in layers]
        self._notify(config)

    def _notify(self, config: ZekeConfig) -> None:
        for listener in self._listeners:
            try:
                listener(config)
            except Exception:  # a broken listener must not stop the others
                log.exception("config listener failed")

    def _apply_defaults(self) -> None:
        """No layer: the defaults (an empty config has no problems). Listeners hear of it
        only when a config was in effect before."""
        was_default = self.sources == ["defaults"]
        self.sources = ["defaults"]
        if was_default:
            return
        self._config = None
        self._notify(self.config)

    async def watch(self, on_change: Callable[[list[ConfigProblem]], None]) -> None:
        """Reload whenever a config file is created, changed or deleted; runs until cancelled.
        Logs "config watcher started" once changes are seen (tests wait for that line)."""
        while True:
            targets, dirs = watch_targets(self.watched_paths())
            if not dirs:
                await asyncio.sleep(2)
                continue
            import watchfiles  # ~1.3 MB: only once there is a folder to watch

            # Not recursive: only the folders that hold config files, never the workspace tree
            # under them (nor a symlink out of it).
            changes_of = watchfiles.awatch(
                *dirs,
                debounce=200,
                step=50,
                watch_filter=_only(targets),
                recursive=False,
            )
            # awatch installs its watches on its first step, before it first awaits: this
            # callback runs just after that.
            asyncio.get_running_loop().call_soon(log.info, "config watcher started: %s", dirs)
            async for changes in changes_of:
                if changes:
                    on_change(self.reload())
                if watch_targets(self.watched_paths())[0] != targets:
                    break  # the workspace root changed: watch the new paths
