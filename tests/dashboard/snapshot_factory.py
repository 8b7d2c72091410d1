"""Builds published-snapshot files shaped like the MODELS output, for dashboard tests and the bench.

`build_small` holds hand-made rows whose numbers the tests work out by hand (repo `acme/tiny`),
plus generated activity, a repo without deployments, an empty week, and HTML and quotes in names.
`build_large` generates an organisation-sized snapshot (tens of repos, two years) for timing.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from orchestrator.estate import Environment, Estate
from orchestrator.mart import SCHEMA as PROPOSAL_SCHEMA
from orchestrator.mart import proposal_row
from orchestrator.propose import propose
from orchestrator.workflow_file import read_workflow

END = date(2026, 11, 20)
ENVIRONMENTS = ("development", "staging", "production")
EMPTY_WEEK = date(2026, 10, 12)  # no deployment anywhere in this week (small fixture)
HTML_NAME = 'Deploy "web" <script>alert(1)</script>'

DEPLOYMENT_COLUMNS = [
    "repo", "service", "environment", "deployment_id", "source", "sha", "outcome", "created_at",
    "deployed_at", "failed_at", "is_redeploy", "is_retried", "is_rollback", "is_rework",
    "is_change_failure",
    "failure_reasons", "restored_at", "recovery_seconds", "change_count", "lead_time_p50_seconds",
    "run_id", "run_url", "commit_url", "description", "is_counted", "is_manual", "rolled_back_by",
    "restored_by_deployment_id", "environment_name", "failure_started_at", "is_time_estimated",
    "workflow_name",
]  # fmt: skip
CHANGE_COLUMNS = [
    "repo", "service", "environment", "sha", "deployment_id", "started_at", "deployed_at",
    "lead_time_seconds", "pr_number", "commit_url", "message_headline", "author_login", "pr_url",
    "pr_title", "coding_seconds", "review_seconds", "delivery_seconds", "deployment_source",
]  # fmt: skip


class _Ids:
    def __init__(self) -> None:
        self.value = 1000

    def next(self) -> int:
        self.value += 1
        return self.value


def _sha(rng: random.Random) -> str:
    return f"{rng.getrandbits(160):040x}"


def _deployment(repo: str, service: str, environment: str, deployment_id: int, **fields) -> dict:
    sha = fields.pop("sha")
    row = dict.fromkeys(DEPLOYMENT_COLUMNS)
    row.update(
        repo=repo,
        service=service,
        environment=environment,
        deployment_id=deployment_id,
        source="deployments_api",
        sha=sha,
        outcome="success",
        is_redeploy=False,
        is_retried=False,
        is_rollback=False,
        is_rework=False,
        is_change_failure=False,
        failure_reasons="",
        change_count=0,
        run_id=deployment_id + 500_000,
        run_url=f"https://github.com/{repo}/actions/runs/{deployment_id + 500_000}",
        commit_url=f"https://github.com/{repo}/commit/{sha}",
        description="deploy",
        is_counted=True,
        is_manual=False,
        environment_name=f"{service}-{environment}",
        is_time_estimated=False,
        workflow_name="Deploy",
    )
    row.update(fields)
    if row["is_change_failure"]:
        row["failure_started_at"] = row["failed_at"] or row["deployed_at"]
    return row


def _change(repo: str, service: str, environment: str, deployment: dict, sha: str, lead: float,
            pr_number: int | None, title: str) -> dict:  # fmt: skip
    deployed_at = deployment["deployed_at"]
    stages = (lead * 0.5, lead * 0.3, lead * 0.2) if pr_number else (None, None, None)
    return dict(
        repo=repo,
        service=service,
        environment=environment,
        sha=sha,
        deployment_id=deployment["deployment_id"],
        started_at=deployed_at - timedelta(seconds=lead),
        deployed_at=deployed_at,
        lead_time_seconds=float(lead),
        pr_number=pr_number,
        commit_url=f"https://github.com/{repo}/commit/{sha}",
        message_headline=title,
        author_login="octocat",
        pr_url=f"https://github.com/{repo}/pull/{pr_number}" if pr_number else None,
        pr_title=title if pr_number else None,
        coding_seconds=stages[0],
        review_seconds=stages[1],
        delivery_seconds=stages[2],
        deployment_source="deployments_api",
    )


def _generate(repo: str, service: str, days: int, rate: float, rng: random.Random, ids: _Ids,
              skip_week: date | None) -> tuple[list[dict], list[dict], list[dict]]:  # fmt: skip
    """Deployments, changes and incidents for one repo x service over `days` before END."""
    deployments, changes, incidents = [], [], []
    start = datetime.combine(END - timedelta(days=days), datetime.min.time())
    pr = 1
    for environment in ENVIRONMENTS:
        count = int(days * rate)
        times = sorted(
            start + timedelta(seconds=rng.uniform(0, days * 86400)) for _ in range(count)
        )
        previous_sha = None
        for at in times:
            if skip_week and skip_week <= at.date() < skip_week + timedelta(days=7):
                continue
            roll = rng.random()
            did = ids.next()
            sha = _sha(rng)
            if roll < 0.06:
                deployments.append(_deployment(repo, service, environment, did, sha=sha, created_at=at, outcome="failure", failed_at=at + timedelta(minutes=6), is_change_failure=True, failure_reasons="deploy_failed", recovery_seconds=rng.uniform(600, 20000)))  # fmt: skip
            elif roll < 0.08:
                deployments.append(_deployment(repo, service, environment, did, sha=sha, created_at=at, outcome="unfinished", is_counted=False))  # fmt: skip
            elif roll < 0.10 and previous_sha:
                deployments.append(_deployment(repo, service, environment, did, sha=previous_sha, created_at=at, deployed_at=at + timedelta(minutes=4), is_redeploy=True, is_counted=False, is_manual=True))  # fmt: skip
            else:
                failed = roll > 0.93
                row = _deployment(repo, service, environment, did, sha=sha, created_at=at, deployed_at=at + timedelta(minutes=5), is_rollback=0.10 <= roll < 0.12, is_manual=roll < 0.2, is_change_failure=failed, failure_reasons="incident" if failed else "")  # fmt: skip
                row["is_rework"] = row["is_rollback"]
                if failed:
                    row["recovery_seconds"] = None if roll > 0.99 else rng.uniform(1800, 200000)
                    if environment == "production":
                        incidents.append(dict(repo=repo, number=ids.next(), environment=environment, service=service, created_at=at + timedelta(hours=2), closed_at=at + timedelta(hours=5), state="closed", deployment_id=did, deployment_source="deployments_api", title=f"{service} errors after deploy", html_url=f"https://github.com/{repo}/issues/1"))  # fmt: skip
                if not row["is_rollback"]:
                    leads = []
                    for _ in range(rng.randint(1, 3)):
                        lead = rng.lognormvariate(11, 1.2)
                        leads.append(lead)
                        changes.append(_change(repo, service, environment, row, _sha(rng), lead, pr if rng.random() < 0.8 else None, f"Change {pr} to {service}"))  # fmt: skip
                        pr += 1
                    row["change_count"] = len(leads)
                    row["lead_time_p50_seconds"] = sorted(leads)[len(leads) // 2]
                deployments.append(row)
                previous_sha = sha
    for row in deployments:
        start_at = row["failed_at"] or row["deployed_at"]
        if row["is_change_failure"] and row["recovery_seconds"] is not None:
            row["restored_at"] = start_at + timedelta(seconds=row["recovery_seconds"])
    for n in range(max(1, days // 60)):
        at = start + timedelta(days=rng.uniform(0, days))
        incidents.append(dict(repo=repo, number=ids.next(), environment="production", service=service, created_at=at, closed_at=None, state="open", deployment_id=None, deployment_source=None, title=f"Unattributed alert {n}", html_url=f"https://github.com/{repo}/issues/{n}"))  # fmt: skip
    return deployments, changes, incidents


def _tiny(ids: _Ids) -> tuple[list[dict], list[dict]]:
    """acme/tiny, worked out by hand: week of 2026-11-02 has 2 deploys, CFR 1/3, lead p50 4 h, recovery 2 h."""
    repo, service, env = "acme/tiny", "tiny", "production"
    t = datetime
    d0 = _deployment(repo, service, env, 9000, sha="a" * 40, created_at=t(2026, 10, 27, 9), deployed_at=t(2026, 10, 27, 10), change_count=1, lead_time_p50_seconds=36000.0)  # fmt: skip
    d1 = _deployment(repo, service, env, 9001, sha="b" * 40, created_at=t(2026, 11, 2, 9), deployed_at=t(2026, 11, 2, 10), change_count=2, lead_time_p50_seconds=10800.0)  # fmt: skip
    d2 = _deployment(repo, service, env, 9002, sha="c" * 40, created_at=t(2026, 11, 3, 10), outcome="failure", failed_at=t(2026, 11, 3, 10, 5), is_change_failure=True, failure_reasons="deploy_failed", restored_at=t(2026, 11, 3, 12, 5), recovery_seconds=7200.0, restored_by_deployment_id=9003)  # fmt: skip
    d3 = _deployment(repo, service, env, 9003, sha="d" * 40, created_at=t(2026, 11, 3, 12), deployed_at=t(2026, 11, 3, 12, 5), change_count=1, lead_time_p50_seconds=21600.0)  # fmt: skip
    d4 = _deployment(repo, service, env, 9004, sha="d" * 40, created_at=t(2026, 11, 4, 9), deployed_at=t(2026, 11, 4, 9, 3), is_redeploy=True, is_counted=False)  # fmt: skip
    changes = [
        _change(repo, service, env, d0, "1" * 40, 36000, 10, "Add the tiny thing"),
        _change(repo, service, env, d1, "2" * 40, 7200, 11, 'Fix "quotes" & <b>tags</b>'),
        _change(repo, service, env, d1, "3" * 40, 14400, 12, '=HYPERLINK("http://x")'),
        _change(repo, service, env, d3, "4" * 40, 21600, None, "Direct push"),
    ]
    return [d0, d1, d2, d3, d4], changes


LEVELS_CSV = Path(__file__).resolve().parents[2] / "models" / "reference" / "dora_levels.csv"


DERIVED_SQL = """
create table dora_weekly as
select repo, service, environment,
    date_trunc('week', coalesce(deployed_at, failed_at))::date as week_start,
    count(*) filter (outcome = 'success') as deployments,
    count(distinct deployed_at::date) as deploy_days,
    count(*) filter (is_change_failure) as change_failures,
    count(*) filter (is_change_failure) / count(*) as change_fail_rate,
    any_value(lead_time_p50_seconds) as lead_time_p50_seconds,
    max(lead_time_p50_seconds) as lead_time_p90_seconds,
    median(recovery_seconds) as recovery_p50_seconds,
    count(*) filter (is_rework) / nullif(count(*) filter (outcome = 'success'), 0) as rework_rate
from deployments where is_counted group by all;

create table dora_summary as
select repo, service, environment, count(*) filter (outcome = 'success') as deployments,
    count(distinct deployed_at::date) as deploy_days,
    count(*) filter (is_change_failure) as change_failures,
    count(*) filter (is_change_failure) / count(*) as change_fail_rate,
    median(lead_time_p50_seconds) as lead_time_p50_seconds,
    max(lead_time_p50_seconds) as lead_time_p90_seconds,
    median(recovery_seconds) as recovery_p50_seconds,
    count(*) filter (is_rework) / nullif(count(*) filter (outcome = 'success'), 0) as rework_rate,
    count(*) filter (outcome = 'success') / 12.9 as deploys_per_week,
    'high' as deployment_frequency_level, 'high' as lead_time_level,
    'medium' as change_fail_rate_level, 'elite' as recovery_level
from deployments where is_counted group by all;

create table promotion_lag as
with reached as (
    select c.repo, c.service, c.sha, c.environment, min(c.deployed_at) as reached_at
    from changes c group by all
)
select repo, service, sha, environment,
    case environment when 'development' then 1 when 'staging' then 2 else 3 end as stage_order,
    0 as deployment_id,
    reached_at,
    case environment when 'staging' then 'development' when 'production' then 'staging' end
        as previous_environment,
    case when environment != 'development' then reached_at - interval 1 hour end as previous_reached_at,
    case when environment != 'development' then 3600.0 * (1 + hash(sha) % 40) end as lag_seconds
from reached;

create table data_quality as
select r.repo,
    count(d.repo) as deployment_attempts,
    count(*) filter (d.outcome = 'unfinished') as unfinished_deployments,
    0 as estimated_times,
    count(*) filter (d.is_redeploy) as redeploys,
    (select count(*) from changes c where c.repo = r.repo) as changes,
    1 as changes_without_baseline, 0 as negative_lead_times,
    (select count(*) from incidents i where i.repo = r.repo) as incidents,
    (select count(*) from incidents i where i.repo = r.repo and i.deployment_id is null)
        as unattributed_incidents,
    0 as unresolved_commit_ranges,
    0 as skipped_items
from repositories r left join deployments d using (repo) group by r.repo;

-- acme/web's older history is still being read (newest first); the others reach their creation
create table history_coverage as
select repo,
    case when repo = 'acme/web' then 'deepening' else 'complete' end as history_state,
    case when repo = 'acme/web' then timestamp '2026-10-23' else timestamp '2024-01-01' end
        as history_from,
    timestamp '2024-01-01' as history_target,
    timestamp '2026-10-23' as first_pass_from,
    date_diff('day', history_from, timestamp '2026-11-20') as days_of_history
from repositories;

-- Two teams sharing acme/tiny; one name with HTML and quotes in it.
create table teams as
select * from (values
    ('Core', 'config', 0, ['core-lead@example.com']),
    ('Web <i>"front"</i>', 'config', 1, []::varchar[])
) as t (team, source, team_order, recipients);

create table team_repositories as
select t.team, r.repo, 'config' as source
from teams t join repositories r
    on (t.team = 'Core' and r.repo not like '%web%')
    or (t.team <> 'Core' and (r.repo like '%web%' or r.repo = 'acme/tiny'));

create table team_scopes as
select distinct tr.team, d.repo, d.service, tr.source
from team_repositories tr join deployments d using (repo);

create table rolling_levels as
select units.unit_kind, units.unit, null::varchar as repo, null::varchar as service,
    'production' as environment, timestamp '2026-11-20' as evaluated_at, true as is_latest,
    metrics.metric, 'banded' as state, 'high' as level, 2 as level_rank,
    12 as counted_deployments, 30 as window_days
from (select 'team' as unit_kind, team as unit from teams
      union all select 'organisation', 'organisation') as units
cross join (values ('deployment_frequency'), ('lead_time'), ('change_fail_rate'), ('recovery'))
    as metrics (metric);

create table goal_status as
select * from (values
    ('lead_time < 86400 per week in production', 0, 'Change lead time (median) < 1 day, each week',
     '*', 'team', 'Core', 'production', 'lead_time', '<', 86400.0, 'week',
     timestamp '2026-11-09', timestamp '2026-11-16', 7200.0, 9, 'met', null, 3, true),
    ('lead_time < 86400 per week in production', 0, 'Change lead time (median) < 1 day, each week',
     '*', 'team', 'Web <i>"front"</i>', 'production', 'lead_time', '<', 86400.0, 'week',
     timestamp '2026-11-09', timestamp '2026-11-16', null, 2, 'no data',
     '2 counted deployments, fewer than 5', 4, true)
) as t (goal_id, goal_order, goal, goal_team, unit_kind, team, environment, metric, comparison,
        threshold, period, period_start, period_end, value, counted_deployments, status,
        no_data_reason, streak, is_latest);
"""


def _workflows(repos: list[str], days: int, rng: random.Random) -> tuple[list, list, list]:
    health, deps, weekly = [], [], []
    for repo in repos:
        name = HTML_NAME if repo == "acme/web" else "Deploy"
        flows = [
            (".github/workflows/ci.yml", "CI", False, "push,pull_request"),
            (".github/workflows/deploy.yml", name, False, "workflow_run"),
            (".github/workflows/release.yml", "Release (manual)", True, "workflow_dispatch"),
        ]
        for path, wf_name, manual_only, triggers in flows:
            runs = rng.randint(50, 400)
            successes = int(runs * rng.uniform(0.6, 1.0))
            health.append(dict(repo=repo, workflow_path=path, workflow_name=wf_name, runs=runs, successes=successes, failures=runs - successes, success_rate=successes / runs, duration_p50_seconds=rng.uniform(60, 900), duration_p95_seconds=rng.uniform(900, 2400), queue_p50_seconds=rng.uniform(2, 60), rerun_share=rng.uniform(0, 0.2), manual_share=1.0 if manual_only else rng.uniform(0, 0.3), first_run_at=datetime(2026, 8, 1), last_run_at=datetime(2026, 11, 19)))  # fmt: skip
            deps.append(dict(repo=repo, workflow_path=path, workflow_name=wf_name, kind="workflow", job_id=None, target_repo=None, target_path=None, target=None, triggers=triggers, is_manual_only=manual_only))  # fmt: skip
            for week in range(days // 7):
                start = END - timedelta(days=END.weekday()) - timedelta(weeks=week)
                n = rng.randint(0, 30)
                weekly.append(dict(repo=repo, workflow_path=path, workflow_name=wf_name, week_start=start, runs=n, failures=n // 7, manual_runs=n if manual_only else n // 10))  # fmt: skip
        edge = dict(repo=repo, workflow_path=".github/workflows/deploy.yml", workflow_name=name, triggers="workflow_run", is_manual_only=False)  # fmt: skip
        deps += [
            dict(edge, workflow_path=".github/workflows/ci.yml", workflow_name="CI", kind="triggers", job_id=None, target_repo=repo, target_path=".github/workflows/deploy.yml", target=name, triggers="push,pull_request"),
            dict(edge, kind="calls", job_id="build", target_repo="acme/shared", target_path=".github/workflows/build.yml", target="acme/shared/.github/workflows/build.yml@main"),
            dict(edge, kind="deploys_to", job_id="deploy-dev", target_repo=None, target_path=None, target="development"),
            dict(edge, kind="deploys_to", job_id="deploy-stg", target_repo=None, target_path=None, target="staging"),
            dict(edge, workflow_path=".github/workflows/release.yml", workflow_name="Release (manual)", kind="deploys_to", job_id="ship", target_repo=None, target_path=None, target="production", triggers="workflow_dispatch", is_manual_only=True),
            dict(edge, kind="needs", job_id="deploy-stg", target_repo=repo, target_path=".github/workflows/deploy.yml", target="deploy-dev"),
        ]  # fmt: skip
    return health, deps, weekly


def _write(path: Path, repos: list[str], deployments: list[dict], changes: list[dict],
           incidents: list[dict], days: int, rng: random.Random) -> Path:  # fmt: skip
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    health, deps, weekly = _workflows(repos, days, rng)
    frames = {
        "deployments": pd.DataFrame(deployments, columns=DEPLOYMENT_COLUMNS),
        "changes": pd.DataFrame(changes, columns=CHANGE_COLUMNS),
        "incidents": pd.DataFrame(
            incidents,
            columns=[
                "repo",
                "number",
                "environment",
                "service",
                "created_at",
                "closed_at",
                "state",
                "deployment_id",
                "deployment_source",
                "title",
                "html_url",
            ],
        ),  # fmt: skip
        "workflow_health": pd.DataFrame(health),
        "workflow_dependencies": pd.DataFrame(deps),
        "workflow_runs_weekly": pd.DataFrame(weekly),
        "repositories": pd.DataFrame(
            {
                "repo": repos,
                "html_url": [f"https://github.com/{r}" for r in repos],
                "default_branch": "main",
            }
        ),  # fmt: skip
    }
    with duckdb.connect(str(path)) as con:
        for name, frame in frames.items():
            con.register("frame", frame)
            con.execute(f"create table {name} as select * from frame")
            con.unregister("frame")
        con.execute("alter table deployments alter deployment_id type bigint")
        con.execute("alter table deployments alter rolled_back_by type bigint")
        con.execute("alter table deployments alter restored_by_deployment_id type bigint")
        con.execute("alter table deployments alter recovery_seconds type double")
        con.execute("alter table deployments alter lead_time_p50_seconds type double")
        con.execute("alter table deployments alter failed_at type timestamp")
        con.execute("alter table deployments alter deployed_at type timestamp")
        con.execute("alter table deployments alter restored_at type timestamp")
        con.execute("alter table changes alter pr_number type bigint")
        con.execute("alter table incidents alter deployment_id type bigint")
        con.execute("alter table incidents alter deployment_source type varchar")
        con.execute("alter table deployments alter failure_started_at type timestamp")
        con.execute("alter table incidents alter closed_at type timestamp")
        # The real reference bands, as the models load them.
        con.execute(
            "create table dora_levels as select cast(edition as varchar) as edition, * exclude (edition) from read_csv(?, header = true)",
            [str(LEVELS_CSV)],
        )
        con.execute(DERIVED_SQL)
        _orchestration(con, repos)
        con.execute(
            "create table snapshot_info as select now()::timestamp as built_at, ?::timestamp as as_of, 90 as window_days, '2023' as edition, ?::timestamp as last_synced_at",
            [datetime.combine(END, datetime.min.time()), datetime(2026, 11, 20, 6, 0)],
        )
    return path


RELEASE_YAML = (
    "name: Release (manual)\non:\n  workflow_dispatch:\njobs:\n  ship:\n    runs-on: ubuntu-latest\n"
    "    environment: production\n    steps:\n      - run: ./ship.sh\n"
)
# acme/web's production releases: manual triggers today and with the proposal (medians 4 and 1)
WEB_RELEASES = [(datetime(2026, 11, 2, 10), 3, 1), (datetime(2026, 11, 5, 11), 4, 1),
                (datetime(2026, 11, 9, 15), 6, 2)]  # fmt: skip


def _orchestration(con: duckdb.DuckDBPyConnection, repos: list[str]) -> None:
    """orchestration_proposals made by the real proposal code, and acme/web's releases."""
    rows = []
    for repo in repos:
        workflows = [read_workflow(".github/workflows/release.yml", RELEASE_YAML)]
        environments = [Environment("production", required_reviewers=True, production=True)]
        estate = Estate(repo, workflows, {workflows[0].path}, environments)
        rows.append(proposal_row(propose(estate)))
    con.register("proposals", pa.Table.from_pylist(rows, schema=PROPOSAL_SCHEMA))
    con.execute("create table orchestration_proposals as select * from proposals")
    con.unregister("proposals")
    releases = pd.DataFrame(
        [dict(repo="acme/web", release_id=900 + n, started_at=at - timedelta(hours=1), released_at=at,
              ended_at=at + timedelta(hours=1), production_deployments=1, manual_runs=today,
              manual_runs_replaced=today - after + 1, manual_steps_with_proposal=after)
         for n, (at, today, after) in enumerate(WEB_RELEASES)]
    )  # fmt: skip
    con.register("frame", releases)
    con.execute("create table releases as select * from frame")
    con.unregister("frame")


def build_small(path: Path) -> Path:
    """The test fixture: a few hundred rows, hand-made edge cases included."""
    rng = random.Random(7)
    ids = _Ids()
    repos = ["acme/platform", "acme/web", "acme/empty", "acme/tiny"]
    deployments, changes, incidents = [], [], []
    for repo, service, rate in [("acme/platform", "api", 0.5), ("acme/web", "web \"o'reilly\" <i>", 0.4)]:  # fmt: skip
        d, c, i = _generate(repo, service, 84, rate, rng, ids, EMPTY_WEEK)
        deployments += d
        changes += c
        incidents += i
    tiny_deployments, tiny_changes = _tiny(ids)
    deployments += tiny_deployments
    changes += tiny_changes
    incidents.append(dict(repo="acme/web", number=77, environment="production", service=None, created_at=datetime(2026, 11, 10), closed_at=None, state="open", deployment_id=None, deployment_source=None, title="<script>alert('pwned')</script> checkout down", html_url="https://github.com/acme/web/issues/77"))  # fmt: skip
    return _write(path, repos, deployments, changes, incidents, 84, rng)


def build_large(path: Path, repo_count: int = 50, days: int = 730, rate: float = 1.8) -> Path:
    """An organisation-sized snapshot: ~repo_count x 3 environments x days x rate deployments."""
    rng = random.Random(11)
    ids = _Ids()
    repos = [f"acme/service-{n:02d}" for n in range(repo_count)]
    deployments, changes, incidents = [], [], []
    for repo in repos:
        d, c, i = _generate(repo, repo.split("/")[1], days, rate, rng, ids, None)
        deployments += d
        changes += c
        incidents += i
    return _write(path, repos, deployments, changes, incidents, days, rng)
