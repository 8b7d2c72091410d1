"""The written list of SQL mutations: one per rule of METRICS.md, each one a model test must catch.

Each entry names the model file (under models/), the exact text it replaces (found exactly once,
or `apply` stops with an error naming the entry), the text put instead, the kind of change (an
operator flipped, a guard dropped, a window bound moved) and the rule of METRICS.md it guards.
`tests/models/test_sql_mutations.py` (`make mutate`) applies each to a copy of the models and runs
the model tests against it. When the models change, update the entries whose text moved.

Rules of the 2026-12-01 amendments that main's models do not implement yet (superseded and
retried attempts, a run's display_title never naming a rollback, a revert shipped with its commit
undoing nothing, verification surviving a redeploy, lead-time stages never negative, deploy days
per ISO week) get their entries when the models that implement them land: PENDING lists them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

OPERATOR, GUARD, BOUND = "operator flipped", "guard dropped", "window bound moved"


@dataclass(frozen=True)
class SqlMutation:
    name: str
    rule: str  # METRICS.md section and the rule's words
    file: str  # relative to models/
    find: str
    replace: str
    kind: str


class MutationListOutdated(Exception):
    """An entry's text is no longer in its file: the models changed, the list must follow."""


def apply(mutation: SqlMutation, models_dir: Path) -> None:
    """Rewrite the entry's file in `models_dir` (a copy), or fail naming the entry."""
    path = models_dir / mutation.file
    if not path.is_file():
        raise MutationListOutdated(f"{mutation.name}: {mutation.file} does not exist any more")
    text = path.read_text()
    found = text.count(mutation.find)
    if found != 1:
        raise MutationListOutdated(
            f"{mutation.name}: {mutation.file} contains the text to replace {found} times "
            f"(needs exactly 1): {mutation.find!r}. The model changed; update the entry in "
            "tests/models/sql_mutations.py."
        )
    path.write_text(text.replace(mutation.find, mutation.replace))


ATTEMPTS = "intermediate/int_deployments__attempts.sql"
CLASSIFIED = "intermediate/int_deployments__classified.sql"
ENVIRONMENTS = "intermediate/int_environments__resolved.sql"
INCIDENTS = "intermediate/int_incidents__attributed.sql"
FAILURES = "intermediate/int_deployments__failures.sql"
REVERTED = "intermediate/int_deployments__reverted.sql"
REVERTS = "intermediate/int_commits__reverts.sql"
VERIFICATION = "intermediate/int_deployments__verification_failed.sql"
CHANGES = "intermediate/int_changes__attributed.sql"
PULLS = "intermediate/int_commits__pull_requests.sql"
REWORK = "intermediate/int_deployments__rework.sql"
WEEKLY = "marts/dora_weekly.sql"
SUMMARY = "marts/dora_summary.sql"
LEVEL = "macros/dora_level.sql"

M = SqlMutation
MUTATIONS: list[SqlMutation] = [
    # --- 1. Deployments ---
    M("success-at-earliest-success-status",
      "1: deployed_at = created_at of the earliest `success` status",
      ATTEMPTS, "min(created_at) filter (where state = 'success') as first_success_at",
      "max(created_at) filter (where state = 'success') as first_success_at", OPERATOR),
    M("error-status-is-a-failure",
      "1: `failure` if its latest status other than inactive is `failure` or `error`",
      ATTEMPTS, "when summary.latest_state in ('failure', 'error') then 'failure'",
      "when summary.latest_state in ('failure') then 'failure'", GUARD),
    M("failed-at-latest-status",
      "1: failed_at = created_at of the latest status other than inactive",
      ATTEMPTS, "max(created_at) filter (where state <> 'inactive') as latest_state_at",
      "min(created_at) filter (where state <> 'inactive') as latest_state_at", OPERATOR),
    M("rule-run-timed-out-is-a-failure",
      "1: deploy rule: conclusion failure, timed_out and startup_failure are failures",
      ATTEMPTS,
      "when matches.conclusion in ('failure', 'timed_out', 'startup_failure') then 'failure'",
      "when matches.conclusion in ('failure') then 'failure'", GUARD),
    M("rule-run-time-is-last-job-completed",
      "1: a rule run's time is the latest completed_at of its jobs",
      ATTEMPTS, "max(jobs.completed_at) as completed_at", "min(jobs.completed_at) as completed_at",
      OPERATOR),
    M("rule-run-latest-attempt-decides",
      "1: one run is one attempt whatever its run_attempt (the latest attempt decides)",
      ATTEMPTS, "        and runs.run_attempt = jobs.run_attempt\n", "", GUARD),
    M("deployments-api-wins-over-rules",
      "1: with Deployments API records for a repo x environment, deploy rules for it are ignored",
      ATTEMPTS,
      "    anti join api_environments\n        on api_environments.repo = rules.repo\n"
      "        and api_environments.environment = environments.environment\n", "", GUARD),
    M("environment-names-lower-case",
      "1: environment names are compared and stored lower-case",
      ENVIRONMENTS, "coalesce(aliases.environment, lower(split.environment_part)) as environment",
      "coalesce(aliases.environment, split.environment_part) as environment", GUARD),
    M("service-defaults-to-repo-name",
      "1: without a service rule the service is the repo's name",
      ENVIRONMENTS, "coalesce(lower(split.service_part), split_part(split.repo, '/', 2))",
      "coalesce(lower(split.service_part), split_part(split.repo, '/', 1))", OPERATOR),
    M("redeploy-same-sha-as-previous",
      "1: a redeploy's sha equals the previous successful deployment's",
      CLASSIFIED, "coalesce(successes.sha = successes.previous_success_sha, false) as is_redeploy",
      "coalesce(successes.sha <> successes.previous_success_sha, false) as is_redeploy", OPERATOR),
    M("redeploy-not-counted",
      "1: a counted deployment is a finished attempt that is not a redeploy",
      CLASSIFIED, "attempts.outcome in ('success', 'failure')\n"
      "            and not coalesce(successes.is_redeploy, false) as is_counted",
      "attempts.outcome in ('success', 'failure') as is_counted", GUARD),
    # --- 2. Rollbacks, reverts and incidents ---
    M("rollback-sha-deployed-before",
      "2: a rollback's sha was successfully deployed to the same scope before",
      CLASSIFIED, "(previous_same_sha_seq is not null or matches_rollback_pattern) as is_rollback",
      "(matches_rollback_pattern) as is_rollback", GUARD),
    M("rollback-by-description",
      "2: or its description matches the rollback pattern",
      CLASSIFIED, "cfg.matches_rollback(successes.description)\n            or ", "", GUARD),
    M("rolls-back-after-latest-earlier-deployment",
      "2: it rolls back the deployments after the latest earlier deployment of that sha",
      CLASSIFIED, "and target.success_seq > rollbacks.after_seq",
      "and target.success_seq >= rollbacks.after_seq", BOUND),
    M("revert-message-starts-with-revert",
      "2: a revert's message starts with `Revert \"`",
      REVERTS, "where starts_with(message, 'Revert \"')", "where true", GUARD),
    # (dropping `original.environment = ...` instead is equivalent: the failures join on the
    # environment again, and deployment ids are unique per repo)
    M("reverted-is-where-c-is-attributed",
      "2: the deployment to which C is attributed as a change in that scope is reverted",
      REVERTED, "coalesce(original.deployment_id, first_deployments.deployment_id) as deployment_id",
      "first_deployments.deployment_id as deployment_id", GUARD),
    M("incident-needs-an-incident-label",
      "2: an incident is an issue carrying one of the incident labels",
      INCIDENTS,
      "where len(list_intersect(issues.labels, (select list(label) from cfg.incident_labels))) > 0",
      "where len(list_intersect(issues.labels, (select list(label) from cfg.incident_labels))) >= 0",
      BOUND),
    M("incident-env-label-through-aliases",
      "2: an `env:NAME` label names the incident's environment (through the aliases)",
      INCIDENTS, "environments.environment, lower(incidents.environment_label), 'production'",
      "lower(incidents.environment_label), 'production'", GUARD),
    M("incident-attributed-to-earlier-deployment",
      "2: attributed to the latest counted success at or before the incident's created_at",
      INCIDENTS, "        and successes.deployed_at <= placed.created_at\n"
      "    where placed.service_label is null",
      "        and successes.deployed_at >= placed.created_at\n"
      "    where placed.service_label is null", OPERATOR),
    M("incident-attribution-window-inclusive",
      "2: provided the gap is within the attribution window (24 h)",
      INCIDENTS, "<= (select attribution_window_seconds from settings)",
      "< (select attribution_window_seconds from settings)", BOUND),
    M("incident-service-label-narrows",
      "2: a `service:NAME` label narrows it to one service",
      INCIDENTS, "        and successes.service = placed.service_label\n", "", GUARD),
    M("reopened-incident-unresolved",
      "2: an incident that was reopened and is open now is unresolved",
      INCIDENTS, "case when placed.state = 'closed' then placed.closed_at end as closed_at",
      "placed.closed_at as closed_at", GUARD),
    M("verification-needs-a-failure",
      "2: a completed run of a verification workflow with conclusion `failure`",
      VERIFICATION, "        and runs.conclusion = 'failure'\n", "\n", GUARD),
    M("verification-before-next-deployment",
      "2: ...started before the next successful deployment of another sha in that scope",
      VERIFICATION, "or verification_failures.run_started_at < windows.next_deployed_at",
      "or verification_failures.run_started_at > windows.next_deployed_at", BOUND),
    # --- 3. The five metrics ---
    M("deploy-failed-configurable",
      "3: deploy_failed (its own outcome is failure; configurable, on by default)",
      FAILURES, "when deployments.outcome = 'failure' and settings.deploy_failed_is_change_failure",
      "when deployments.outcome = 'failure'", GUARD),
    M("failure-reasons-sorted",
      "6: failure_reasons sorted, comma-separated",
      FAILURES, "list_sort(list_filter([", "list_reverse_sort(list_filter([", OPERATOR),
    M("failure-counted-once",
      "3: a deployment counts once however many reasons or incidents it has",
      WEEKLY, "count(*) filter (where is_change_failure) as change_failures",
      "count(*) filter (where is_change_failure)"
      " + count(*) filter (where failure_reasons like '%,%') as change_failures", OPERATOR),
    M("change-fail-rate-over-counted-attempts",
      "3: change fail rate = change failures / counted deployments (failed attempts included)",
      WEEKLY, "deployment_weeks.change_failures / nullif(deployment_weeks.counted_attempts, 0)",
      "deployment_weeks.change_failures / nullif(deployment_weeks.deployments, 0)", OPERATOR),
    M("failure-start-is-failed-at-for-deploy-failed",
      "3: failure start = failed_at for deploy_failed, otherwise deployed_at",
      FAILURES, "case when outcome = 'failure' then failed_at else deployed_at end",
      "case when outcome = 'failure' then deployed_at else failed_at end", OPERATOR),
    M("restored-by-a-deployment-that-is-no-failure",
      "3: restored by the first later successful counted deployment that is not a change failure",
      FAILURES, "    anti join failures\n        using (repo, service, environment, source, deployment_id)\n",
      "", GUARD),
    M("restored-after-the-failed-attempt",
      "3: ...later than the failure (after a failed attempt: deployed after failed_at)",
      FAILURES, "and healthy.deployed_at > failures.failed_at",
      "and healthy.deployed_at < failures.failed_at", OPERATOR),
    M("restored-when-every-incident-closed",
      "3: (b) when EVERY incident attributed to F is closed, the last closed_at of them",
      FAILURES, "case when failures.all_closed then failures.last_closed_at end",
      "failures.last_closed_at", GUARD),
    M("restored-at-the-last-incident-closing",
      "3: ...the LAST closed_at of them",
      FAILURES, "max(closed_at) as last_closed_at", "min(closed_at) as last_closed_at", OPERATOR),
    M("restored-at-the-earliest-of-both",
      "3: restored at = the earliest of (a) and (b)",
      FAILURES, "least(healthy_deployed_at, incidents_closed_at) as restored_at",
      "greatest(healthy_deployed_at, incidents_closed_at) as restored_at", OPERATOR),
    M("recovery-median-by-failure-start",
      "3: a period's recovery median is over the failures whose failure start falls in it",
      WEEKLY, "cast(date_trunc('week', failure_started_at) as date) as week_start,\n"
      "        quantile_cont(recovery_seconds",
      "cast(date_trunc('week', restored_at) as date) as week_start,\n"
      "        quantile_cont(recovery_seconds", OPERATOR),
    # (int_changes__attributed's `success_seq > 1` is equivalent to drop: the commit walk never
    # lists a scope's first deployment, models/commit_ranges.py, which mutmut covers)
    M("first-deployment-has-no-baseline",
      "3: the first successful deployment of a scope has no baseline (counted in data quality)",
      "marts/data_quality.sql", "where success_seq = 1\n    group by all",
      "where success_seq <= 2\n    group by all", BOUND),
    M("merge-commits-are-no-changes",
      "3: changes leave out merge commits (more than one parent)",
      CHANGES, "where commits.parent_count <= 1", "where commits.parent_count <= 2", BOUND),
    M("rollback-ships-no-changes",
      "3: the changes of a successful counted deployment that is not a rollback",
      CHANGES, "        and not deployments.is_rollback\n", "", GUARD),
    M("squash-commit-starts-at-first-pr-commit",
      "3: a squash or merge commit of a PR starts at the earliest author date of the PR's commits",
      CHANGES, "when pull_requests.is_merge_commit and pull_requests.first_authored_at is not null",
      "when pull_requests.first_authored_at is not null", GUARD),
    M("pr-start-is-the-earliest-author-date",
      "3: ...the EARLIEST author date among them",
      PULLS, "min(author_date) as first_authored_at", "max(author_date) as first_authored_at",
      OPERATOR),
    M("lead-time-deployed-minus-start",
      "3: lead time = D's deployed_at - start",
      CHANGES, "date_diff('second', started_at, deployed_at) as lead_time_seconds",
      "date_diff('second', deployed_at, started_at) as lead_time_seconds", OPERATOR),
    M("negative-lead-time-excluded",
      "3: a negative lead time is excluded (and counted in data quality)",
      CHANGES, "date_diff('second', started_at, deployed_at) < 0 as is_negative_lead_time",
      "date_diff('second', started_at, deployed_at) > 0 as is_negative_lead_time", OPERATOR),
    M("coding-stage-start-to-pr-opened",
      "3: coding = start -> PR opened",
      CHANGES, "date_diff('second', started_at, pr_created_at) as coding_seconds",
      "date_diff('second', pr_created_at, started_at) as coding_seconds", OPERATOR),
    M("lead-time-median-interpolated",
      "3: lead time median interpolated (quantile_cont(0.5)) and 90th percentile",
      WEEKLY, "quantile_cont(lead_time_seconds, 0.5) as lead_time_p50_seconds",
      "quantile_disc(lead_time_seconds, 0.5) as lead_time_p50_seconds", OPERATOR),
    M("frequency-counts-successes",
      "3: deployment frequency = successful counted deployments per period",
      WEEKLY, "count(*) filter (where outcome = 'success') as deployments",
      "count(*) as deployments", GUARD),
    M("deploy-days-are-distinct-days",
      "3: deploy days = distinct days with at least one deployment",
      WEEKLY, "count(distinct cast(deployed_at as date)) filter (where outcome = 'success')",
      "count(cast(deployed_at as date)) filter (where outcome = 'success')", GUARD),
    M("rework-rollback",
      "3: a rollback is rework",
      REWORK, "    where deployments.is_rollback\n        or ships_revert", "    where ships_revert",
      GUARD),
    M("rework-ships-a-revert",
      "3: shipping a revert commit is rework",
      REWORK, "        or ships_revert.deployment_id is not null\n        or ships_hotfix",
      "        or ships_hotfix", GUARD),
    M("rework-hotfix-branch",
      "3: shipping a commit of a PR whose head branch starts with `hotfix` is rework",
      REWORK, "where starts_with(lower(coalesce(pull_requests.head_ref, '')), "
      "settings.hotfix_branch_prefix)\n        or ", "where ", GUARD),
    M("rework-restores-a-real-failure",
      "3: restoring a change failure with a reason other than deploy_failed is rework",
      REWORK, "lambda reason: reason <> 'deploy_failed'", "lambda reason: reason = 'deploy_failed'",
      OPERATOR),
    M("rework-rate-over-successes",
      "3: rework rate = rework deployments / successful counted deployments",
      WEEKLY, "deployment_weeks.rework_deployments / nullif(deployment_weeks.deployments, 0)",
      "deployment_weeks.rework_deployments / nullif(deployment_weeks.counted_attempts, 0)",
      OPERATOR),
    M("no-data-is-null",
      "3: a period with no counted deployments has NULL rates, never 0",
      SUMMARY, "totals.change_failures / nullif(totals.counted_attempts, 0) as change_fail_rate",
      "coalesce(totals.change_failures / nullif(totals.counted_attempts, 0), 0)"
      " as change_fail_rate", GUARD),
    # --- 4. DORA levels ---
    M("level-is-the-best-band-that-holds",
      "4: the level is the best-ranked band whose comparison holds",
      LEVEL, "select arg_min(level, level_rank)", "select arg_max(level, level_rank)", OPERATOR),
    M("level-needs-data",
      "3/4: no data is no data, never the best level",
      LEVEL, "            end is not null\n", "            end is not null or true\n", GUARD),
    M("level-bound-strictly-below",
      "4: lead time elite < 1 day (the band's bound is exclusive)",
      LEVEL, "when '<' then measure_value < threshold", "when '<' then measure_value <= threshold",
      BOUND),
    M("summary-window-excludes-its-start",
      "6: dora_summary is over the window (window_start, as_of]",
      SUMMARY, "where counted.event_at > build_window.window_start\n"
      "        and counted.event_at <= build_window.as_of",
      "where counted.event_at >= build_window.window_start\n"
      "        and counted.event_at < build_window.as_of", BOUND),
    M("frequency-level-needs-an-attempt",
      "4: a level needs data: frequency needs a counted attempt in the window",
      SUMMARY, "case when totals.counted_attempts > 0 then frequency.deploy_days_per_week_p50 end",
      "frequency.deploy_days_per_week_p50", GUARD),
    M("weekly-median-over-whole-weeks",
      "4: the weekly median is over the weeks wholly inside the window, empty weeks as 0",
      SUMMARY, "greatest(1, window_days // 7) as week_buckets",
      "greatest(1, window_days // 7 + 1) as week_buckets", BOUND),
    # --- 5. Pipeline analytics ---
    M("workflow-success-rate-denominator",
      "5: success rate = success / (success + failure + timed_out + startup_failure)",
      "marts/workflow_health.sql",
      "where conclusion in ('success', 'failure', 'timed_out', 'startup_failure')",
      "where conclusion in ('success', 'failure')", GUARD),
    M("workflow-rerun-share",
      "5: re-run share = share of runs with run_attempt > 1",
      "marts/workflow_health.sql", "when run_attempt > 1 then 1.0", "when run_attempt >= 1 then 1.0",
      BOUND),
    M("manual-only-workflow",
      "5: manual-only = nothing but workflow_dispatch or repository_dispatch starts it",
      "marts/workflow_dependencies.sql",
      "lambda t: t not in ('workflow_dispatch', 'repository_dispatch')",
      "lambda t: t not in ('workflow_dispatch')", GUARD),
    M("promotion-lag-in-stage-order",
      "5: promotion lag: the time between consecutive stages of the promotion order",
      "marts/promotion_lag.sql", "partition by repo, service, sha order by stage_order)",
      "partition by repo, service, sha order by stage_order desc)", OPERATOR),
    M("data-quality-unattributed-incidents",
      "5: data quality counts unattributed incidents",
      "marts/data_quality.sql", "count(*) filter (where deployment_id is null)",
      "count(*) filter (where deployment_id is not null)", OPERATOR),
]  # fmt: skip

# Rules of the 2026-12-01 amendments without an implementation on main yet (see the docstring).
PENDING = [
    "1: superseded (only settled status inactive): left out of every metric",
    "1: retried attempt (failed, then the same sha with no other sha in between): not counted",
    "2: a deploy-rule run's display_title never makes it a rollback",
    "2: a revert shipped together with the commit it reverts reverts nothing",
    "2: a redeploy in between does not hide a failed verification",
    "3: lead-time stages are never negative and sum to the lead time",
    "4: deploy days per ISO week lying wholly inside the window",
]
