import re
import subprocess
import sys
from pathlib import Path

import pytest

from settings.config import ConfigError, Settings, load_settings

EXAMPLE = Path(__file__).resolve().parents[2] / "dora.example.toml"
README = EXAMPLE.with_name("README.md")


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args], capture_output=True, text=True, cwd=cwd
    )


def test_missing_default_file_means_metrics_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings == Settings()
    assert settings.environments.aliases["prd"] == "production"
    assert settings.incidents.labels == ["incident"]
    assert settings.incidents.attribution_window_hours == 24
    assert settings.metrics.rollback_pattern == r"(?i)\brollback\b"
    assert settings.metrics.edition == "2023"
    assert settings.metrics.window_days == 90


def test_explicit_missing_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="no such config file"):
        load_settings(tmp_path / "nope.toml")


def test_example_config_is_valid_and_documents_every_key():
    settings = load_settings(EXAMPLE)
    text = EXAMPLE.read_text()

    def keys(model, prefix=""):
        for name, value in model:
            if hasattr(value, "model_fields"):
                yield from keys(value, f"{name}.")
            else:
                yield prefix + name

    for key in keys(settings):
        assert key.split(".")[-1] in text, f"dora.example.toml does not document {key}"


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        (
            '[metrics]\nwindow_days = "ninety"\n',
            "metrics.window_days: Input should be a valid integer",
        ),
        ("[metrics]\nwindowdays = 3\n", "metrics.windowdays: unknown key"),
        ('repos = ["not-a-repo"]\n', "repos: 'not-a-repo' is not OWNER/NAME"),
        ('[[deploy_rules]]\nenvironment = "production"\n', "deploy_rules.0: needs `workflow`"),
        (
            '[environments]\nservice_pattern = "(?P<service>x"\n',
            "environments.service_pattern: not a valid regular expression",
        ),
        ("repos = [", "not valid TOML"),
        (
            '[[services]]\nrepo = "acme"\nname = "api"\npaths = ["services/api/**"]\n',
            "services.0.repo: 'acme' is not OWNER/NAME",
        ),
        (
            '[[services]]\nrepo = "acme/platform"\nname = "api"\npaths = ["/services/api/**"]\n',
            "services.0.paths: '/services/api/**': paths are relative to the repository root",
        ),
        (
            '[[services]]\nrepo = "acme/platform"\nname = " "\npaths = ["services/api/**"]\n',
            "services.0.name: a service needs a name",
        ),
        (
            '[[services]]\nrepo = "acme/platform"\nname = "api"\npaths = []\n',
            "services.0.paths: List should have at least 1 item",
        ),
        (
            '[[services]]\nrepo = "acme/platform"\nname = "api"\npaths = ["services/api/**"]\n'
            '[[services]]\nrepo = "Acme/Platform"\nname = "API"\npaths = ["libs/**"]\n',
            "services: acme/platform service 'api' is defined twice (entries 0 and 1)",
        ),
    ],
)
def test_invalid_config_is_one_clear_line_and_exit_2(tmp_path, toml, expected):
    path = tmp_path / "dora.toml"
    path.write_text(toml)
    result = run_cli("config", "--config", str(path))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]


def test_dora_config_env_var_is_read(tmp_path, monkeypatch):
    path = tmp_path / "custom.toml"
    path.write_text('repos = ["acme/web"]\n[incidents]\nattribution_window_hours = 6\n')
    monkeypatch.setenv("DORA_CONFIG", str(path))
    settings = load_settings()
    assert settings.repos == ["acme/web"]
    assert settings.incidents.attribution_window_hours == 6


def test_help_lists_every_command_the_readme_documents():
    documented = re.findall(r"^\| `dora ([\w-]+)", README.read_text(), flags=re.MULTILINE)
    assert len(documented) == len(set(documented)) >= 11, documented
    result = run_cli("--help")
    assert result.returncode == 0
    listed = re.findall(r"^│ ([a-z][\w-]*) {2,}\S", result.stdout, flags=re.MULTILINE)
    assert sorted(listed) == sorted(documented), result.stdout


def test_service_path_rules_are_lower_cased_like_every_name(tmp_path):
    """Services are compared lower-case (METRICS.md, amended): `API` of `Acme/Platform` is the
    rule of service `api` of `acme/platform`; the globs keep their case (paths are case-sensitive)."""
    path = tmp_path / "dora.toml"
    path.write_text(
        '[[services]]\nrepo = "Acme/Platform"\nname = "API"\npaths = ["services/API/**"]\n'
    )
    (rule,) = load_settings(path).services
    assert (rule.repo, rule.name, rule.paths) == ("acme/platform", "api", ["services/API/**"])
