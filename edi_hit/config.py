# Configuration: edi-hit.toml and EDI_HIT_* environment variables for the options that
# commands share (rates, history, conventions, payer, suppliers, DME drug evidence ...).
#
# Strategy: no configuration machinery of our own. The file is read with tomllib,
# checked against schemas/config.schema.json (a misspelt key is a ConfigError naming
# its path, exit status 2) and turned into click's `default_map`; the environment is
# click's too (an explicit EDI_HIT_<NAME> on each shared option, auto_envvar_prefix
# EDI_HIT for the rest: EDI_HIT_<COMMAND>_<OPTION>). click already ranks the sources:
# command line, then environment, then default_map, then the option's default, so
# "command line beats environment beats file beats default" holds by construction.
#
# The file: shared keys at the top apply to every command that has the option; a
# table per command (or [group.sub]) sets any option of that command. Relative paths
# are relative to the file, so a config travels with the tables it names.
#
#     rates = "rates-2026.json"
#     history = "hit.db"
#     [adjudicate]
#     control-number = 7
from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from edi_hit.errors import ConfigError, UnreadableInput
from edi_hit.schemas import check as schema_check

__all__ = ["CONFIG_NAME", "ENV_PREFIX", "SHARED", "find_config", "load_config", "default_map"]

CONFIG_NAME = "edi-hit.toml"
ENV_PREFIX = "EDI_HIT"

#: Shared key -> (the parameter names it sets, whether its values are paths).
SHARED: dict[str, tuple[tuple[str, ...], bool]] = {
    "rates": (("rates",), True),
    "history": (("history", "history_path"), True),
    "conventions": (("conventions",), True),
    "payer": (("payer_file",), True),
    "suppliers": (("suppliers",), True),
    "contracts": (("contract",), True),
    "authorizations": (("authorizations",), True),
    "dme-drugs": (("dme_drugs",), True),
    "dme-evidence": (("dme_evidence",), False),
    "assume-dme-drug": (("assume_dme_drug",), False),
}


def env_name(key: str) -> str:
    """EDI_HIT_RATES for the shared key 'rates' (dashes become underscores)."""
    return f"{ENV_PREFIX}_{key.upper().replace('-', '_')}"


def find_config(given: str | os.PathLike | None = None,
                folder: str | os.PathLike | None = None) -> Path | None:
    """The configuration file: the one given, else edi-hit.toml in `folder` (the
    working directory), else None."""
    if given is not None:
        return Path(given)
    candidate = Path(folder or os.getcwd()) / CONFIG_NAME
    return candidate if candidate.is_file() else None


def load_config(path: str | os.PathLike) -> dict[str, Any]:
    """The checked document of a configuration file, its relative paths made absolute."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            doc = tomllib.load(fh)
    except OSError as exc:
        raise UnreadableInput(f"cannot read the configuration: {exc.strerror}",
                              file=str(path)) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    schema_check(doc, "config", source=str(path), error=ConfigError)
    return _absolute(doc, path.resolve().parent)


def _absolute(doc: dict[str, Any], base: Path) -> dict[str, Any]:
    out = dict(doc)
    for key, (_, is_path) in SHARED.items():
        value = out.get(key)
        if is_path and value is not None:
            out[key] = ([str(base / v) for v in value] if isinstance(value, list)
                        else str(base / value))
    return out


def default_map(doc: Mapping[str, Any], commands: Mapping[str, Any],
                source: str = "the configuration") -> dict[str, Any]:
    """click's default_map for the group: for every command (and subcommand of a group),
    the shared keys under the parameter names it has, then its own table. An option a
    command's table names but the command does not have is a ConfigError."""
    shared = {name: value for key, (names, _) in SHARED.items() if key in doc
              for name in names for value in [doc[key]]}
    try:
        return {name: _for_command(command, shared, _table(doc, name), name)
                for name, command in commands.items()}
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None


def _table(doc: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """The command's own table ('rates' and 'history' are shared keys, not tables)."""
    value = doc.get(name)
    return value if isinstance(value, Mapping) else {}


def _for_command(command: Any, shared: dict[str, Any], own: Mapping[str, Any],
                 where: str) -> dict[str, Any]:
    subcommands = getattr(command, "commands", None)
    if subcommands is not None:   # a group: its subcommands each get a map
        return {sub: _for_command(cmd, shared, _table(own, sub), f"{where}.{sub}")
                for sub, cmd in subcommands.items()}
    params = {p.name for p in command.params if p.expose_value}   # not the global options
    out = {k: v for k, v in shared.items() if k in params}
    for key, value in own.items():
        name = key.replace("-", "_")
        if name not in params:
            raise ConfigError(f"{where}.{key}: `edi-hit {where.replace('.', ' ')}` has no "
                              f"option --{key}")
        out[name] = value
    return out


def shared_env(keys: Iterable[str] = SHARED) -> dict[str, str]:
    """The environment variable of each shared key (for help texts and tests)."""
    return {key: env_name(key) for key in keys}
