"""Typed settings from `dora.toml`: every knob of METRICS.md with its default, validated once."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from settings.alerts import AlertSettings
from settings.dashboard import DashboardSettings
from settings.teams import GoalSettings, LevelSettings, TeamSettings

DEFAULT_CONFIG_PATH = Path("dora.toml")

DEFAULT_ENVIRONMENT_ALIASES: dict[str, str] = {
    "prod": "production",
    "production": "production",
    "prd": "production",
    "live": "production",
    "stage": "staging",
    "staging": "staging",
    "stg": "staging",
    "dev": "development",
    "development": "development",
}


class ConfigError(Exception):
    """The configuration file is missing a required piece, or a key has a bad value."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _check_regex(value: str | None) -> str | None:
    if value:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression ({exc})") from exc
    return value


class GitHubSettings(_Section):
    base_url: str = "https://api.github.com"
    per_page: int = Field(100, ge=1, le=100)
    # GitHub's documented secondary limit is 900 points/min per REST endpoint; 0.1 s keeps one
    # worker under 600/min and four workers under the 100-concurrent cap.
    seconds_between_requests: float = Field(0.1, ge=0)
    concurrency: int = Field(4, ge=1, le=32)
    timeout_seconds: float = Field(30, gt=0)
    max_wait_seconds: float = Field(3600, ge=0)
    runs_lookback_days: int = Field(32, ge=0)
    deployments_lookback_days: int = Field(30, ge=0)
    commits_lookback_days: int = Field(1, ge=0)
    pulls_lookback_days: int = Field(1, ge=0)
    issues_lookback_days: int = Field(1, ge=0)
    # Jobs cost one request per run; by default only deploy-rule runs get them (the models read
    # nothing else). True adds workflows that deploy through environments (run durations).
    jobs_of_deploying_workflows: bool = False
    # "auto": per-item lists in bulk through GraphQL where the server has it; "off": REST only.
    graphql: Literal["auto", "off"] = "auto"
    # A GitHub App (the key's file here or in GITHUB_APP_PRIVATE_KEY_FILE; never the key itself).
    app_id: str | None = None
    app_private_key_file: str | None = None
    since: str | None = None  # YYYY-MM-DD: nothing older is fetched on a first sync
    # Newest first (ingest.history): a first sync reads this many days before a repository's last
    # push before anything older (0: everything at once); later passes go this much deeper each
    # (0: all the rest in one pass).
    first_sync_days: int = Field(28, ge=0)
    history_step_days: int = Field(0, ge=0)
    # `OWNER/*` leaves out archived repositories and forks unless these say otherwise.
    include_archived: bool = False
    include_forks: bool = False

    @field_validator("since")
    @classmethod
    def _since_is_a_date(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError("expected a date as YYYY-MM-DD")
        return value


class EnvironmentSettings(_Section):
    aliases: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_ENVIRONMENT_ALIASES))
    # named groups `environment` and `service`, e.g. "^(?P<service>[a-z]+)-(?P<environment>\\w+)$"
    service_pattern: str | None = None
    promotion_order: list[str] = Field(
        default_factory=lambda: ["development", "staging", "production"]
    )

    @field_validator("aliases")
    @classmethod
    def _lower_keys(cls, value: dict[str, str]) -> dict[str, str]:
        return {k.lower(): v.lower() for k, v in value.items()}

    @field_validator("service_pattern")
    @classmethod
    def _pattern_has_groups(cls, value: str | None) -> str | None:
        _check_regex(value)
        if value and "(?P<environment>" not in value:
            raise ValueError("needs a named group (?P<environment>...)")
        return value


class DeployRule(_Section):
    """Maps workflow runs to deployments, for teams that deploy without GitHub environments."""

    workflow: str | None = (
        None  # glob on the workflow file path, e.g. ".github/workflows/deploy-*.yml"
    )
    name_regex: str | None = None  # or a regex on the workflow's name
    environment: str
    service: str | None = None

    _check = field_validator("name_regex")(classmethod(lambda cls, v: _check_regex(v)))

    @model_validator(mode="after")
    def _one_matcher(self) -> DeployRule:
        if not self.workflow and not self.name_regex:
            raise ValueError("needs `workflow` (a path glob) or `name_regex`")
        return self


class ServicePaths(_Section):
    """Path rules of one service of a monorepo: a commit is among the service's changes only if it
    touches one of these paths. A service without rules keeps every commit of its repository."""

    repo: str  # OWNER/NAME, compared case-insensitively (stored lower-case)
    name: str  # the service as the models name it (service_pattern's group, else the repo name)
    # globs from the repository root: `*` and `?` within a folder, `**` across folders
    paths: list[str] = Field(min_length=1)

    @field_validator("repo")
    @classmethod
    def _repo_name(cls, value: str) -> str:
        if not re.fullmatch(r"[\w.-]+/[\w.-]+", value):
            raise ValueError(f"{value!r} is not OWNER/NAME")
        return value.lower()

    @field_validator("name")
    @classmethod
    def _service_name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a service needs a name")
        return value.strip().lower()  # services are compared and stored lower-case

    @field_validator("paths")
    @classmethod
    def _path_globs(cls, value: list[str]) -> list[str]:
        for glob in value:
            if not glob.strip():
                raise ValueError("an empty path matches nothing")
            if glob.startswith("/"):
                raise ValueError(
                    f"{glob!r}: paths are relative to the repository root "
                    f"(write {glob.lstrip('/')!r})"
                )
        return value


class IncidentSettings(_Section):
    labels: list[str] = Field(default_factory=lambda: ["incident"])
    attribution_window_hours: float = Field(24, gt=0)


class MetricSettings(_Section):
    edition: Literal["2021", "2023", "2024"] = "2023"
    window_days: int = Field(90, ge=1)
    rollback_pattern: str = r"(?i)\brollback\b"
    verification_workflows: list[str] = Field(default_factory=list)  # file paths or names
    deploy_failed_is_change_failure: bool = True
    hotfix_branch_prefix: str = "hotfix"
    hotfix_label: str = "hotfix"

    _check = field_validator("rollback_pattern")(classmethod(lambda cls, v: _check_regex(v)))


class EmailSettings(_Section):
    smtp_host: str = "localhost"
    smtp_port: int = Field(587, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None  # the password comes from SMTP_PASSWORD only
    sender: str = "dora@localhost"
    recipients: list[str] = Field(default_factory=list)
    dashboard_url: str = "http://localhost:8501"


class ScheduleSettings(_Section):
    pipeline_cron: str = "0 * * * *"
    report_cron: str = "0 8 * * 1"
    timezone: str = "UTC"


class ScaleOutSettings(_Section):
    """Ingest split over a Prefect work pool: one raw database and flow run per shard."""

    shards: int = Field(1, ge=1, le=256)  # 1: one writer, no shards
    work_pool: str = "dora"
    # a shard still running after this is left out of the cycle's build (its last committed
    # state is used), so one stuck worker never holds up the snapshot
    shard_timeout_seconds: float = Field(3000, gt=0)


class Settings(_Section):
    repos: list[str] = Field(default_factory=list)
    github: GitHubSettings = Field(default_factory=GitHubSettings)
    environments: EnvironmentSettings = Field(default_factory=EnvironmentSettings)
    deploy_rules: list[DeployRule] = Field(default_factory=list)
    services: list[ServicePaths] = Field(default_factory=list)
    incidents: IncidentSettings = Field(default_factory=IncidentSettings)
    metrics: MetricSettings = Field(default_factory=MetricSettings)
    email: EmailSettings = Field(default_factory=EmailSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    scale_out: ScaleOutSettings = Field(default_factory=ScaleOutSettings)
    # `[[teams]]` is an array of tables, so the switch lives beside it, not in a `[teams]` table
    teams_from_github: bool = False  # GET /orgs/{org}/teams and each team's repositories
    teams: list[TeamSettings] = Field(default_factory=list)
    goals: list[GoalSettings] = Field(default_factory=list)
    levels: LevelSettings = Field(default_factory=LevelSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    dashboard: DashboardSettings = Field(default_factory=DashboardSettings)

    @model_validator(mode="after")
    def _teams_and_goals_agree(self) -> Settings:
        names = [team.name.lower() for team in self.teams]
        duplicated = sorted({name for name in names if names.count(name) > 1})
        if duplicated:
            raise ValueError(f"teams: {duplicated[0]!r} is defined twice")
        if not self.teams_from_github:  # GitHub's teams are known only once ingested
            for goal in self.goals:
                if goal.team != "*" and goal.team.lower() not in names:
                    raise ValueError(f"goals: team {goal.team!r} is not in [[teams]]")
        return self

    @field_validator("repos")
    @classmethod
    def _repo_names(cls, value: list[str]) -> list[str]:
        for repo in value:
            if not re.fullmatch(r"[\w.-]+/([\w.-]+|\*)", repo):
                raise ValueError(f"{repo!r} is not OWNER/NAME or OWNER/*")
        return value

    @field_validator("services")
    @classmethod
    def _one_entry_per_service(cls, value: list[ServicePaths]) -> list[ServicePaths]:
        seen: dict[tuple[str, str], int] = {}
        for i, service in enumerate(value):
            first = seen.setdefault((service.repo, service.name), i)
            if first != i:
                raise ValueError(
                    f"{service.repo} service {service.name!r} is defined twice "
                    f"(entries {first} and {i}); list all its paths in one entry"
                )
        return value


def config_path(explicit: str | Path | None = None) -> Path:
    """The config file to read: `--config`, else `DORA_CONFIG`, else ./dora.toml."""
    if explicit:
        return Path(explicit)
    if os.environ.get("DORA_CONFIG"):
        return Path(os.environ["DORA_CONFIG"])
    return DEFAULT_CONFIG_PATH


def load_settings(path: str | Path | None = None) -> Settings:
    """Read and validate the config; a missing default file means every default of METRICS.md."""
    file = config_path(path)
    explicit = path is not None or bool(os.environ.get("DORA_CONFIG"))
    if not file.exists():
        if explicit:
            raise ConfigError(f"{file}: no such config file")
        return Settings()
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:  # a folder, no read permission: one line, not a traceback
        raise ConfigError(f"{file}: cannot read the config file ({exc.strerror})") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML ({exc})") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML ({exc})") from exc
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "(top level)"
        message = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            message = "unknown key"
        raise ConfigError(f"{file}: {key}: {message}") from exc
