"""Real-world patterns the metrics must survive, each played once per organisation.

METRICS.md's amendments of 2026-12-01 came from patterns that real GitHub Actions estates
produce every week. Left to chance, a small organisation (the CI-sized `tiny` one) would miss
most of them, so each of the three original repos plays a short script at a fixed point of the
period (every scale has them; `large`'s clones do not repeat them):

- acme/web, from the first Monday a quarter into the period: a commit and its revert reach
  staging one after the other (the revert undoes a staging deployment), then production together
  (it undoes nothing there); the first production attempt of that release fails and is retried;
  a staging deployment is superseded before it settles; a failed release is later marked
  `inactive` (still a failure); a bad release draws two incidents, one closed before it is
  rolled back and one still open (recovery must wait for the rollback, not the closed incident).
  Natural production releases wait while the script runs.
- acme/platform, from the first Wednesday three tenths into the period (before the master
  pipeline): a fresh commit goes to production, is redeployed half an hour later, and the
  verification of the redeploy fails; then a rollback.
- acme/infra, from the first Thursday three tenths into the period: a commit titled "Add
  rollback support to state migrations" is applied with that title as the run's name
  (`run-name`), which is not a rollback.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from simulator.generator.activity import push_runs
from simulator.generator.delivery import incident, verify, web_staging
from simulator.generator.infra import apply_terraform, verify_apply
from simulator.generator.releases import pipeline_deploy, release_web
from simulator.generator.sim import RepoSim

# repo name -> (share of the period, weekday, UTC hour) where its script starts
_STARTS = {"web": (0.25, 0, 13), "platform": (0.3, 2, 13), "infra": (0.3, 3, 11)}
SCRIPTED = "scripted"  # in sim.flags while a script deploys: natural releases wait (is_scripted)
_MINUTE = timedelta(minutes=1)


def plan(sim: RepoSim) -> None:
    """Schedule the repo's script, if it has one."""
    if sim.repo.name not in _STARTS:
        return
    share, weekday, hour = _STARTS[sim.repo.name]
    moment = sim.world.at_fraction(share)
    day = datetime(moment.year, moment.month, moment.day, tzinfo=moment.tzinfo)
    day += timedelta(days=(weekday - day.weekday()) % 7)
    if day < moment:
        day += timedelta(days=7)
    sim.schedule(day + timedelta(hours=hour), f"{sim.kind}_patterns", 0, {})


def _push(
    sim: RepoSim,
    t: datetime,
    message: str,
    services: tuple[str, ...] = (),
    files: tuple[str, ...] | None = None,
) -> str:
    """A commit pushed straight to main by its maintainer, with the CI runs a push starts."""
    engineer = sim.team[0]
    services = services or sim.services[:1]
    sha = sim.commit((sim.main,), engineer, t, message, files=files, services=services)
    sim.advance_main(sha, None, services)
    push_runs(sim, t, sha, sim.repo.default_branch, engineer, None)
    return sha


def _revert_message(sim: RepoSim, sha: str) -> str:
    headline = sim.repo.commits[sha].message.splitlines()[0]
    return f'Revert "{headline}"\n\nThis reverts commit {sha}.'


# --- acme/web ---
def on_web_patterns(sim: RepoSim, t: datetime, stage: int, state: dict) -> None:
    engineer = sim.team[0]
    after = None  # when the next stage starts
    if stage == 0:
        sim.flags.add(f"{SCRIPTED}:production")
        if not sim.history.get("staging"):
            t = web_staging(sim, t, sim.main, engineer, 0.0, 0.0) + _MINUTE
        if not sim.history.get("production"):  # a baseline, so the releases below ship changes
            t = release_web(sim, t, sim.main, engineer, "Release to production", 0.0)[1] + _MINUTE
        state["change"] = _push(sim, t, "Cache checkout totals per session")
        web_staging(sim, t + _MINUTE, state["change"], engineer, 0.0, 0.0)
        after = t + 40 * _MINUTE
    elif stage == 1:  # the change is reverted before it is released
        reverted = sim.repo.commits[state["change"]]
        state["revert"] = _push(sim, t, _revert_message(sim, state["change"]), files=reverted.files)
        web_staging(sim, t + _MINUTE, state["revert"], engineer, 0.0, 0.0)
        after = t + 20 * _MINUTE
    elif stage == 2:  # the release of both fails on a flaky runner ...
        release_web(sim, t, state["revert"], engineer, "Release to production", 1.0)
        after = t + 25 * _MINUTE
    elif stage == 3:  # ... and its retry ships the change and its revert together
        release_web(sim, t, state["revert"], engineer, "Release to production", 0.0)
        after = t + 120 * _MINUTE
    elif stage == 4:  # staging superseded before it settled; the release fails
        sha = state["failed"] = _push(sim, t, "Lazy-load product images")
        web_staging(sim, t + _MINUTE, sha, engineer, 1.0, 0.0)
        state["failed_deployment"] = release_web(sim, t + 10 * _MINUTE, sha, engineer,
                                                 "Release to production", 1.0)[0]  # fmt: skip
        after = t + 60 * _MINUTE
    elif stage == 5:  # the next release succeeds and the failed one is marked inactive
        sha = state["good"] = _push(sim, t, "Retry payment webhooks")
        done = web_staging(sim, t + _MINUTE, sha, engineer, 0.0, 0.0)
        done = release_web(sim, done + _MINUTE, sha, engineer, "Release to production", 0.0)[1]
        sim.status(state["failed_deployment"], "inactive", done)
        after = t + 21 * 60 * _MINUTE  # the next morning
    elif stage == 6:  # a bad release: two incidents, one of them never closed
        sha = _push(sim, t, "Rewrite the checkout address form")
        done = web_staging(sim, t + _MINUTE, sha, engineer, 0.0, 0.0)
        done = release_web(sim, done + _MINUTE, sha, engineer, "Release to production", 0.0)[1]
        incident(sim, done + 30 * _MINUTE, "checkout errors after the release", ("incident",),
                 90 * _MINUTE)  # fmt: skip
        incident(sim, done + 60 * _MINUTE, "checkout slow for some customers", ("incident",),
                 timedelta(days=400))  # fmt: skip
        after = done + 240 * _MINUTE
    else:  # rolled back after the first incident was closed
        good = state["good"]
        release_web(sim, t, good, engineer, f"Rollback production to {good[:7]}", 0.0)
        sim.flags.discard(f"{SCRIPTED}:production")
    if after is not None:
        sim.schedule(after, "web_patterns", stage + 1, state)


# --- acme/platform ---
def on_platform_patterns(sim: RepoSim, t: datetime, stage: int, state: dict) -> None:
    engineer = sim.team[1]
    service = sim.services[0]
    name = f"{service}-production"
    words = f"Deploy {service} to production"
    if stage == 0:
        sim.flags.add(f"{SCRIPTED}:{name}")
        sha = state["sha"] = _push(sim, t, f"Raise {service} connection pool size", (service,))
        deployment, done, _ = pipeline_deploy(sim, t + 2 * _MINUTE, name, sha, engineer, words, 0.0)
        verify(sim, deployment, done, True)
        sim.schedule(t + 40 * _MINUTE, "platform_patterns", 1, state)
    elif stage == 1:  # redeployed; the redeploy's verification fails
        deployment, done, _ = pipeline_deploy(sim, t, name, state["sha"], engineer, words, 0.0)
        verify(sim, deployment, done, False)
        sim.schedule(done + 90 * _MINUTE, "platform_patterns", 2, state)
    else:  # back to the sha before, if there was one
        earlier = [sha for sha in sim.history.get(name, ()) if sha != state["sha"]]
        if earlier:
            back = earlier[-1]
            deployment, done, _ = pipeline_deploy(sim, t, name, back, engineer,
                                                  f"Rollback {name} to {back[:7]}", 0.0)  # fmt: skip
            verify(sim, deployment, done, True)
        sim.flags.discard(f"{SCRIPTED}:{name}")


# --- acme/infra ---
def on_infra_patterns(sim: RepoSim, t: datetime, stage: int, state: dict) -> None:
    engineer = sim.team[0]
    if not sim.history.get("production"):  # a baseline, so the apply below ships a change
        run = apply_terraform(sim, t, sim.main, "main", engineer, "Terraform Apply", 0.0)
        verify_apply(sim, run, engineer, True)
        t = run.updated_at + 10 * _MINUTE
    title = "Add rollback support to state migrations"
    sha = _push(sim, t, title)
    run = apply_terraform(sim, t + 5 * _MINUTE, sha, "main", engineer, title, 0.0)
    verify_apply(sim, run, engineer, True)


HANDLERS = {
    "web_patterns": on_web_patterns,
    "platform_patterns": on_platform_patterns,
    "infra_patterns": on_infra_patterns,
}
