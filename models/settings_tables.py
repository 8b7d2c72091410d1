"""Write the knobs of `Settings` into small `cfg.*` tables, because the models are plain SQL."""

from __future__ import annotations

import re
from datetime import datetime

import duckdb
import pandas as pd

from models.shards import SHARD_COLUMNS
from models.team_tables import write_team_tables
from settings.config import Settings


def glob_to_regex(glob: str) -> str:
    """Translate a path glob (`*`, `**`, `?`) into an anchored RE2-compatible regex.

    `*` and `?` stay within one folder; `**` crosses folders, and `**/` also matches no folder at
    all (`a/**/b` matches `a/b`), as in .gitignore and CODEOWNERS.
    """
    out: list[str] = []
    i = 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return "^" + "".join(out) + "$"


def only_group(pattern: str | None, name: str) -> str | None:
    """The pattern with `name` as its only capturing group (group 1), or None without that group.

    DuckDB's regexp_extract needs a constant group number, so every other group becomes `(?:`.
    """
    if not pattern or name not in re.compile(pattern).groupindex:
        return None
    out, i, in_class = [], 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            named = re.match(r"\(\?P<(\w+)>", pattern[i:])
            if named:
                out.append("(" if named.group(1) == name else "(?:")
                i += len(named.group(0))
                continue
            if not pattern.startswith("(?", i):
                out.append("(?:")
                i += 1
                continue
        out.append(char)
        i += 1
    return "".join(out)


def settings_frames(
    settings: Settings, as_of: datetime | None = None, window_days: int | None = None
) -> dict[str, pd.DataFrame]:
    """The config tables as DataFrames, one per `cfg.<name>`."""
    env = settings.environments
    metrics = settings.metrics
    single = {
        "rollback_pattern": metrics.rollback_pattern,
        "service_pattern": env.service_pattern,
        "environment_regex": only_group(env.service_pattern, "environment"),
        "service_regex": only_group(env.service_pattern, "service"),
        "attribution_window_seconds": float(settings.incidents.attribution_window_hours * 3600),
        "deploy_failed_is_change_failure": metrics.deploy_failed_is_change_failure,
        "hotfix_branch_prefix": metrics.hotfix_branch_prefix.lower(),
        "hotfix_label": metrics.hotfix_label.lower(),
        "edition": metrics.edition,
        "window_days": int(window_days or metrics.window_days),
        "as_of": pd.Timestamp(as_of.replace(tzinfo=None)) if as_of else pd.NaT,
    }
    aliases = pd.DataFrame(
        {"alias": list(env.aliases), "environment": list(env.aliases.values())}, dtype=object
    )
    rules = pd.DataFrame(
        [
            {
                "rule_order": i,
                "path_regex": glob_to_regex(rule.workflow) if rule.workflow else None,
                "name_regex": rule.name_regex,
                "environment_name": rule.environment,
                "service": rule.service,
            }
            for i, rule in enumerate(settings.deploy_rules)
        ],
        columns=["rule_order", "path_regex", "name_regex", "environment_name", "service"],
    )
    service_paths = pd.DataFrame(
        [
            {"repo": rule.repo, "service": rule.name, "path_glob": glob}
            for rule in settings.services
            for glob in rule.paths
        ],
        columns=["repo", "service", "path_glob"],
    )
    return {
        "settings": pd.DataFrame([single]),
        "environment_aliases": aliases,
        "deploy_rules": rules,
        "incident_labels": pd.DataFrame(
            {"label": [label.lower() for label in settings.incidents.labels]}, dtype=object
        ),
        "verification_workflows": pd.DataFrame(
            {"workflow": list(metrics.verification_workflows)}, dtype=object
        ),
        "promotion_order": pd.DataFrame(
            {
                "environment": [e.lower() for e in env.promotion_order],
                "stage_order": list(range(1, len(env.promotion_order) + 1)),
            }
        ),
        # `[[services]]` path rules, one row per glob (matched by cfg.in_service_paths)
        "service_paths": service_paths,
    }


_TYPES = {
    "settings": """rollback_pattern varchar, service_pattern varchar, environment_regex varchar,
        service_regex varchar, attribution_window_seconds double,
        deploy_failed_is_change_failure boolean, hotfix_branch_prefix varchar,
        hotfix_label varchar, edition varchar, window_days integer, as_of timestamp""",
    "environment_aliases": "alias varchar, environment varchar",
    "deploy_rules": """rule_order integer, path_regex varchar, name_regex varchar,
        environment_name varchar, service varchar""",
    "incident_labels": "label varchar",
    "verification_workflows": "workflow varchar",
    "promotion_order": "environment varchar, stage_order integer",
    "service_paths": "repo varchar, service varchar, path_glob varchar",
}


def _literal(text: str | None) -> str:
    return "null" if text is None else "'" + text.replace("'", "''") + "'"


def matcher_macros(settings: Settings) -> list[str]:
    """The regex knobs as `cfg.*` macros with literal patterns.

    DuckDB compiles a pattern read from a table once per row; a literal is compiled once, which
    is the difference between seconds and milliseconds on a million runs.
    """
    env = settings.environments
    environment_regex = only_group(env.service_pattern, "environment")
    service_regex = only_group(env.service_pattern, "service")
    rules = [
        (i, glob_to_regex(rule.workflow) if rule.workflow else None, rule.name_regex)
        for i, rule in enumerate(settings.deploy_rules)
    ]
    rule_cases = " ".join(
        "when "
        + " and ".join(
            [f"regexp_matches(coalesce(path, ''), {_literal(path)})" for _ in [0] if path]
            + [f"regexp_matches(coalesce(name, ''), {_literal(name)})" for _ in [0] if name]
        )
        + f" then {i}"
        for i, path, name in rules
    )

    service_cases = " ".join(
        f"when repo = {_literal(rule.repo)} and service = {_literal(rule.name)} then "
        f"regexp_matches(path, {_literal('|'.join(glob_to_regex(g) for g in rule.paths))})"
        for rule in settings.services
    )

    def extract(regex: str | None) -> str:
        if regex is None:
            return "null"
        # names are compared lower-case: the pattern matches `API-Production` as `api-production`
        return f"nullif(regexp_extract(name, {_literal(regex)}, 1, 'i'), '')"

    return [
        "create or replace macro cfg.matches_rollback(text) as "
        f"coalesce(regexp_matches(text, {_literal(settings.metrics.rollback_pattern)}), false)",
        # the first deploy rule (in file order) matching a run's path and name, else NULL
        "create or replace macro cfg.deploy_rule(path, name) as "
        + (f"case {rule_cases} end" if rules else "null::integer"),
        f"create or replace macro cfg.environment_part(name) as {extract(environment_regex)}",
        f"create or replace macro cfg.service_part(name) as {extract(service_regex)}",
        # whether a file path (of lower-cased `repo`) is one of the service's `[[services]]` paths
        "create or replace macro cfg.in_service_paths(repo, service, path) as "
        + (f"coalesce(case {service_cases} end, false)" if settings.services else "false"),
    ]


def write_cfg_tables(
    con: duckdb.DuckDBPyConnection, frames: dict[str, pd.DataFrame], types: dict[str, str]
) -> None:
    """Replace each `cfg.<name>` with its frame, typed by `types[name]` (an empty frame too)."""
    con.execute("create schema if not exists cfg")
    for name, frame in frames.items():
        con.execute(f"create or replace table cfg.{name} ({types[name]})")
        if len(frame):
            con.register("_cfg_frame", frame)
            columns = ", ".join(frame.columns)
            con.execute(f"insert into cfg.{name} ({columns}) select {columns} from _cfg_frame")
            con.unregister("_cfg_frame")


def write_settings_tables(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    as_of: datetime | None = None,
    window_days: int | None = None,
) -> None:
    """Replace the `cfg` schema's tables with the settings in effect for this build."""
    write_cfg_tables(con, settings_frames(settings, as_of, window_days), _TYPES)
    write_team_tables(con, settings)
    for macro in matcher_macros(settings):
        con.execute(macro)
    # written by the build over shards (models.shards); empty for a single writer
    con.execute(f"create table if not exists cfg.shards ({SHARD_COLUMNS})")
