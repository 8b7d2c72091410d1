"""The conventions of command-line tools: --version, -v/-q, completion, GH_TOKEN, exit codes
chosen by what happened (never by the words of a message), usage errors in one line."""

from __future__ import annotations

from datetime import date
from importlib.metadata import version

import pytest

from flows.ingest import stop_reason
from flows.ingest_cli import EXIT_CODES
from ingest.client import Aborted, BadCredentials, MaxWaitExceeded
from simulator.generator import generate_organisation
from simulator.server import SimulatorServer
from tests.flows.test_cli_anywhere import dora, fresh_env


@pytest.fixture(scope="module")
def simulator():
    org = generate_organisation(scale="tiny", days=7, end=date(2026, 11, 20))
    with SimulatorServer(org) as server:
        yield server


@pytest.fixture
def env(tmp_path):
    return fresh_env(tmp_path / "home")


def test_version_is_the_installed_distributions(tmp_path, env):
    result = dora("--version", cwd=tmp_path, env=env)
    assert (result.returncode, result.stdout) == (0, f"dora {version('dora-pipeline')}\n")


def test_shell_completion_completes_commands_and_choices(tmp_path, env):
    """What bash asks of `dora` on Tab (the script `--install-completion` installs does this)."""

    def complete(words: str) -> list[str]:
        words_env = {**env, "_DORA_COMPLETE": "complete_bash", "COMP_WORDS": words,
                     "COMP_CWORD": str(len(words.split()) - 1)}  # fmt: skip
        result = dora(cwd=tmp_path, env=words_env)
        assert result.returncode == 0, result.stderr
        return result.stdout.split()

    assert complete("dora bu") == ["build"]
    assert complete("dora export --format p") == ["parquet"]
    script = dora(cwd=tmp_path, env={**env, "_DORA_COMPLETE": "source_bash"})
    assert "complete -o" in script.stdout and "_DORA_COMPLETE=complete_bash" in script.stdout


def test_a_bad_choice_is_one_line_listing_the_choices(tmp_path, env):
    result = dora("export", "--out", "x", "--format", "xlsx", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: Invalid value for '--format': 'xlsx' is not one of 'parquet', 'csv'. "
        "(see `dora export --help`)"
    ]


def test_the_token_may_come_from_gh_token(tmp_path, env, simulator):
    args = ("ingest", "--repo", "acme/web", "--base-url", simulator.base_url,
            "--db", str(tmp_path / "d.duckdb"))  # fmt: skip
    result = dora(*args, cwd=tmp_path, env=env)
    assert result.returncode == 2 and "GITHUB_TOKEN is not set" in result.stderr
    result = dora(*args, cwd=tmp_path, env={**env, "GH_TOKEN": "gh-cli-token"})
    assert result.returncode == 0, result.stderr


def test_verbose_and_quiet_set_our_log_level(tmp_path, env, simulator):
    env = {**env, "GITHUB_TOKEN": "t"}
    args = ("ingest", "--repo", "acme/web", "--repo", "acme/gone", "--base-url",
            simulator.base_url, "--db", str(tmp_path / "d.duckdb"))  # fmt: skip
    default = dora(*args, cwd=tmp_path, env=env)
    quiet = dora("-q", *args, cwd=tmp_path, env=env)
    verbose = dora("-v", *args, cwd=tmp_path, env=env)
    debug = dora("-vv", *args, cwd=tmp_path, env=env)
    assert [r.returncode for r in (default, quiet, verbose, debug)] == [1, 1, 1, 1]
    gone = "warning: acme/gone: not found (unknown repository or no access)"
    assert gone in default.stderr.splitlines() and "info:" not in default.stderr
    assert quiet.stderr == ""  # the summary, with the error, is still the output
    assert "acme/gone" in quiet.stdout
    assert "info: acme/web runs: " in verbose.stderr and "debug:" not in verbose.stderr
    assert "debug: GET " in debug.stderr


def test_a_max_wait_stop_exits_4_and_a_rejected_token_3(tmp_path, env):
    org = generate_organisation(scale="tiny", days=7, end=date(2026, 11, 20))
    # a budget spent after a few requests, reset in an hour: waiting would pass --max-wait
    with SimulatorServer(org, rate_limit=3, rate_reset_seconds=3600) as server:
        args = ("ingest", "--repo", "acme/web", "--base-url", server.base_url,
                "--db", str(tmp_path / "d.duckdb"), "--max-wait", "1")  # fmt: skip
        waited = dora(*args, cwd=tmp_path, env={**env, "GITHUB_TOKEN": "t"})
        rejected = dora(*args, cwd=tmp_path, env={**env, "GITHUB_TOKEN": "bad-token"})
    assert waited.returncode == 4, waited.stderr
    assert "--max-wait" in waited.stderr.splitlines()[-1]
    assert rejected.returncode == 3, rejected.stderr
    assert "rejected the token" in rejected.stderr.splitlines()[-1]


@pytest.mark.parametrize(
    "error, code",
    [
        (MaxWaitExceeded("waiting for the token-service repo would pass --max-wait"), 4),
        (BadCredentials("GitHub said: max wait"), 3),
        (Aborted("token"), 1),
    ],
)
def test_the_exit_code_follows_the_kind_of_stop_not_its_words(error, code):
    """A --max-wait stop on a repository called `token-service` once exited 3 ("token")."""
    assert EXIT_CODES[stop_reason(error)] == code
