"""A small published snapshot built by hand, with GitHub text that tries to inject HTML."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

DORA_LEVELS_CSV = Path(__file__).resolve().parents[2] / "models" / "reference" / "dora_levels.csv"
REPORT_WEEK = date(2026, 11, 16)  # the last complete ISO week before AS_OF
AS_OF = datetime(2026, 11, 25, 9, 30)
SCRIPT = "<script>alert(1)</script>"
EVIL_TITLE = 'Fix "quotes" & <b>bold</b> ' + SCRIPT

_DDL = """
create table snapshot_info (built_at timestamp, as_of timestamp, window_days integer,
    edition varchar, last_synced_at timestamp);
create table dora_weekly (repo varchar, service varchar, environment varchar, week_start date,
    deployments bigint, deploy_days bigint, change_failures bigint, change_fail_rate double,
    lead_time_p50_seconds double, lead_time_p90_seconds double, recovery_p50_seconds double,
    rework_rate double);
create table deployments (repo varchar, service varchar, environment varchar,
    deployment_id bigint, source varchar, sha varchar, outcome varchar, created_at timestamp,
    deployed_at timestamp, failed_at timestamp, is_redeploy boolean, is_rollback boolean,
    is_rework boolean, is_change_failure boolean, failure_reasons varchar, restored_at timestamp,
    recovery_seconds double, change_count bigint, lead_time_p50_seconds double, run_id bigint,
    run_url varchar, commit_url varchar, description varchar, is_counted boolean,
    is_manual boolean, rolled_back_by bigint, restored_by_deployment_id bigint,
    failure_started_at timestamp);
create table changes (repo varchar, service varchar, environment varchar, sha varchar,
    deployment_id bigint, started_at timestamp, deployed_at timestamp, lead_time_seconds double,
    pr_number bigint, commit_url varchar, message_headline varchar, author_login varchar,
    pr_url varchar, pr_title varchar, coding_seconds double, review_seconds double,
    delivery_seconds double);
create table promotion_lag (repo varchar, service varchar, sha varchar, environment varchar,
    reached_at timestamp);
create table orchestration_proposals (repo varchar, file_name varchar, workflow_yaml varchar,
    reason varchar, approval_gates integer);
create table releases (repo varchar, release_id bigint, released_at timestamp,
    manual_runs bigint, manual_steps_with_proposal bigint);
create table data_quality (repo varchar, deployment_attempts bigint,
    unfinished_deployments bigint, estimated_times bigint, changes bigint,
    changes_without_baseline bigint, negative_lead_times bigint, incidents bigint,
    unattributed_incidents bigint, unresolved_commit_ranges bigint,
    superseded_deployments bigint, retried_attempts bigint);
create table history_coverage (repo varchar, history_state varchar, history_from timestamp,
    history_target timestamp, first_pass_from timestamp, days_of_history bigint);
"""

# (repo, service, environment, week_start, deployments, deploy_days, change_failures,
#  change_fail_rate, lead p50, lead p90, recovery p50, rework_rate)
WEEKLY = [
    (
        "acme/platform",
        "api",
        "production",
        date(2026, 10, 26),
        3,
        3,
        0,
        0.0,
        7200.0,
        9000.0,
        None,
        0.0,
    ),
    (
        "acme/platform",
        "api",
        "production",
        date(2026, 11, 2),
        5,
        4,
        1,
        0.2,
        10800.0,
        20000.0,
        1800.0,
        0.2,
    ),
    (
        "acme/platform",
        "api",
        "production",
        date(2026, 11, 9),
        4,
        4,
        0,
        0.0,
        14400.0,
        30000.0,
        None,
        0.0,
    ),
    (
        "acme/platform",
        "api",
        "production",
        REPORT_WEEK,
        6,
        5,
        2,
        2 / 7,
        5400.0,
        86400.0 * 3,
        5400.0,
        1 / 6,
    ),
    ("acme/platform", "api", "staging", date(2026, 11, 9), 7, 5, 0, 0.0, 3600.0, 7200.0, None, 0.0),
    ("acme/platform", "api", "staging", REPORT_WEEK, 8, 5, 0, 0.0, 3000.0, 6000.0, None, 0.0),
    # acme/web has no row in the week of 9 Nov: that week shows 0 deployments and no data
    (
        "acme/web",
        "web",
        "production",
        date(2026, 11, 2),
        2,
        2,
        0,
        0.0,
        90000.0,
        100000.0,
        None,
        0.0,
    ),
    ("acme/web", "web", "production", REPORT_WEEK, 1, 1, 0, 0.0, 200000.0, 200000.0, None, 0.0),
    # older than the trend window: must not show
    ("acme/old", "old", "production", date(2026, 9, 7), 9, 5, 0, 0.0, 60.0, 60.0, None, 0.0),
    # environments outside the promotion order (previews): counted, not listed
    ("acme/web", "web", "preview-pr-7", REPORT_WEEK, 2, 1, 0, 0.0, None, None, None, 0.0),
    ("acme/web", "web", "preview-pr-8", REPORT_WEEK, 1, 1, 1, 0.5, None, None, None, 0.0),
    ("acme/web", "web", "preview-pr-9", REPORT_WEEK, 0, 0, 0, None, None, None, None, None),
]  # fmt: skip


# acme/platform's proposal saves 6 - 2 = 4 manual steps per release over the four weeks up to the
# report week (medians of 5, 7, 6 and of 2, 3, 2; the October release is older); acme/web's 2 - 1.
PROPOSALS = [
    ("acme/platform", "release-orchestrator.yml", "name: x", None, 2),
    ("acme/web", "release-orchestrator.yml", "name: y", None, 1),
    ("acme/infra", None, None, "nothing to orchestrate", 0),
]
RELEASES = [
    ("acme/platform", 1, datetime(2026, 10, 1, 10), 20, 2),
    ("acme/platform", 2, datetime(2026, 10, 27, 10), 5, 2),
    ("acme/platform", 3, datetime(2026, 11, 4, 10), 7, 3),
    ("acme/platform", 4, datetime(2026, 11, 18, 10), 6, 2),
    ("acme/web", 5, datetime(2026, 11, 17, 10), 2, 1),
    ("acme/web", 6, datetime(2026, 11, 19, 10), 2, 1),
    ("acme/infra", 7, datetime(2026, 11, 19, 10), 9, 9),
]


def _ts(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 11, day, hour)


def _auth(deployment_id: int, deployed: datetime, incident: bool = False) -> tuple:
    """A successful production deployment of acme/platform's auth service, before the week."""
    return (
        "acme/platform", "auth", "production", deployment_id, "deployments_api",
        f"{deployment_id:040d}", "success", deployed - timedelta(minutes=10), deployed, None,
        False, False, False, incident, "incident" if incident else "",
        deployed + timedelta(hours=2) if incident else None, 7200.0 if incident else None, 1,
        None, None, None, None, "deploy", True, False, None, None, None,
    )  # fmt: skip


# acme/platform · auth, for the level crossings: the 90 days up to the week's end (Aug 25 -
# Nov 23) against the 90 days up to the week before's end (Aug 18 - Nov 16). Only the earlier
# window holds the deployment of 20 Aug: a change failure shipping seven one-hour changes. Six
# healthy ones follow every 13 days from 7 Sep to 11 Nov, each shipping a two-day change.
# Before: change fail rate 1/7 (14.3 %, medium), lead time median 1 h of 7 x 1 h and 6 x 2 days
# (elite). Now: 0/6 (elite) and 2 days (high).
AUTH_DEPLOYMENTS = [_auth(300, datetime(2026, 8, 20, 10), incident=True)] + [
    _auth(301 + n, datetime(2026, 9, 7, 10) + timedelta(days=13 * n)) for n in range(6)
]
AUTH_CHANGES = [
    (
        "acme/platform",
        "auth",
        "production",
        f"{deployment[3]}{n:037d}",
        deployment[3],
        deployment[8] - timedelta(seconds=lead),
        deployment[8],
        float(lead),
        None,
        None,
        "auth change",
        "alice",
        None,
        None,
        None,
        None,
        None,
    )  # fmt: skip
    for deployment, count, lead in [(AUTH_DEPLOYMENTS[0], 7, 3600)]
    + [(d, 1, 2 * 86400) for d in AUTH_DEPLOYMENTS[1:]]
    for n in range(count)
]


def build_snapshot(path: Path) -> Path:
    """Write the fixture snapshot to `path` (the `<stem>.published.duckdb` beside a db)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute(_DDL)
        con.execute(
            "insert into snapshot_info values (?, ?, 90, '2023', ?)",
            [AS_OF + timedelta(minutes=5), AS_OF, AS_OF],
        )
        con.execute(
            "create table dora_levels as select * from read_csv(?, all_varchar = true)",
            [str(DORA_LEVELS_CSV)],
        )
        con.execute(
            "alter table dora_levels alter level_rank type integer; "
            "alter table dora_levels alter threshold type double"
        )
        con.executemany("insert into dora_weekly values (?,?,?,?,?,?,?,?,?,?,?,?)", WEEKLY)
        con.executemany("insert into orchestration_proposals values (?,?,?,?,?)", PROPOSALS)
        con.executemany("insert into releases values (?,?,?,?,?)", RELEASES)
        run = "https://github.com/acme/platform/actions/runs/"
        commit = "https://github.com/acme/platform/commit/"
        deployments = [
            # a failed deploy, restored by the next one after 90 min
            (
                "acme/platform",
                "api",
                "production",
                101,
                "deployments_api",
                "a" * 40,
                "failure",
                _ts(17),
                None,
                _ts(17, 10),
                False,
                False,
                False,
                True,
                "deploy_failed",
                _ts(17, 11) + timedelta(minutes=30),
                5400.0,
                0,
                None,
                9001,
                run + "9001",
                commit + "a" * 40,
                "deploy",
                True,
                False,
                None,
                102,
            ),
            # rolled back and with an incident, still open
            (
                "acme/platform",
                "api",
                "production",
                103,
                "deployments_api",
                "c" * 40,
                "success",
                _ts(19),
                _ts(19, 12),
                None,
                False,
                False,
                False,
                True,
                "incident,rolled_back",
                None,
                None,
                2,
                5400.0,
                9003,
                run + "9003",
                commit + "c" * 40,
                "deploy",
                True,
                True,
                104,
                None,
            ),
            # started by hand, successful
            (
                "acme/platform",
                "api",
                "production",
                102,
                "deployments_api",
                "b" * 40,
                "success",
                _ts(17, 11),
                _ts(
                    17,
                    11,
                )
                + timedelta(minutes=30),
                None,
                False,
                False,
                True,
                False,
                "",
                None,
                None,
                1,
                4000.0,
                9002,
                run + "9002",
                commit + "b" * 40,
                SCRIPT,
                True,
                True,
                None,
                None,
            ),
            # previous week: not this week's failure or manual deployment
            (
                "acme/platform",
                "api",
                "production",
                90,
                "deployments_api",
                "9" * 40,
                "failure",
                _ts(4),
                None,
                _ts(4, 11),
                False,
                False,
                False,
                True,
                "deploy_failed",
                _ts(4, 12),
                3600.0,
                0,
                None,
                8000,
                run + "8000",
                commit + "9" * 40,
                "deploy",
                True,
                True,
                None,
                None,
            ),
            (
                "acme/web",
                "web",
                "production",
                201,
                "deployments_api",
                "d" * 40,
                "success",
                _ts(20),
                _ts(20, 11),
                None,
                False,
                False,
                False,
                False,
                "",
                None,
                None,
                1,
                200000.0,
                9101,
                None,
                None,
                "deploy",
                True,
                False,
                None,
                None,
            ),
        ]
        # the first instant of the next week: in no list of the report week
        next_monday = datetime(2026, 11, 23)
        deployments.append(
            ("acme/platform", "api", "production", 199, "deployments_api", "9" * 40, "failure",
             next_monday, None, next_monday, False, False, False, True, "deploy_failed", None,
             None, 0, None, 9199, run + "9199", commit + "9" * 40, "deploy", True, True, None,
             None)
        )  # fmt: skip
        con.executemany(
            "insert into deployments values (" + ",".join(["?"] * 27) + ", null)", deployments
        )
        con.executemany(
            "insert into deployments values (" + ",".join(["?"] * 28) + ")", AUTH_DEPLOYMENTS
        )
        con.execute(
            "update deployments set failure_started_at = coalesce(failed_at, deployed_at) "
            "where is_change_failure"
        )
        changes = [
            (
                "acme/platform",
                "api",
                "production",
                "c" * 40,
                103,
                _ts(17, 9),
                _ts(19, 12),
                183600.0,
                42,
                commit + "c" * 40,
                EVIL_TITLE,
                "mallory<x>",
                "https://github.com/acme/platform/pull/42",
                SCRIPT + " PR",
                3600.0,
                7200.0,
                172800.0,
            ),
            (
                "acme/platform",
                "api",
                "production",
                "e" * 40,
                103,
                _ts(19, 9),
                _ts(19, 12),
                10800.0,
                None,
                commit + "e" * 40,
                "Small fix",
                "alice",
                None,
                None,
                None,
                None,
                None,
            ),
            (
                "acme/web",
                "web",
                "production",
                "d" * 40,
                201,
                _ts(18, 3),
                _ts(20, 11),
                200000.0,
                7,
                "javascript:alert(2)",
                "Tune cache",
                "bob",
                "https://github.com/acme/web/pull/7",
                "Tune cache",
                1000.0,
                2000.0,
                197000.0,
            ),
        ]
        changes.append(
            ("acme/platform", "api", "production", "9" * 40, 199, next_monday - timedelta(days=30),
             next_monday, 30 * 86400.0, None, commit + "9" * 40, "next week's change", "dev",
             None, None, None, None, None)
        )  # fmt: skip
        con.executemany(
            "insert into changes values (" + ",".join(["?"] * 17) + ")", changes + AUTH_CHANGES
        )
        con.executemany(
            "insert into promotion_lag values (?,?,?,?,?)",
            [
                # in staging since 18 Nov, not in production by the week's end: stuck
                ("acme/platform", "api", "f" * 40, "development", _ts(16)),
                ("acme/platform", "api", "f" * 40, "staging", _ts(18)),
                # in staging before the first production deployment (which may have shipped it
                # without a baseline): not called stuck
                ("acme/platform", "api", "2" * 40, "staging", _ts(16)),
                # reached production on 19 Nov: not stuck
                ("acme/platform", "api", "c" * 40, "staging", _ts(17)),
                ("acme/platform", "api", "c" * 40, "production", _ts(19, 12)),
                # reached staging on 21 Nov: too recent to be stuck
                ("acme/platform", "api", "1" * 40, "staging", _ts(21)),
            ],
        )
        con.executemany(
            "insert into data_quality values (?,?,?,?,?,?,?,?,?,?,?,?)",
            [
                ("acme/platform", 40, 2, 1, 30, 1, 0, 3, 1, 0, 0, 2),
                ("acme/web", 10, 1, 0, 8, 1, 0, 0, 0, 0, 1, 1),
            ],
        )
        # acme/web's older history is still being read (ingest.history: newest first)
        con.executemany(
            "insert into history_coverage values (?,?,?,?,?,?)",
            [
                ("acme/platform", "complete", datetime(2025, 3, 1), datetime(2025, 3, 1),
                 datetime(2026, 10, 28), 634),
                ("acme/web", "deepening", datetime(2026, 10, 28), datetime(2025, 1, 9),
                 datetime(2026, 10, 28), 28),
            ],
        )  # fmt: skip
    return path
