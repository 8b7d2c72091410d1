"""Which files each commit touches (the monorepo's service folders, shared code, repo files),
and which services' path rules of the demo config they match.

acme/platform is laid out as one folder per service (`services/<name>/...`) beside shared code
(`libs/...`), docs and CI files. A pull request's first commit touches the folders of the
services it is about (one, sometimes two) and now and then shared code as well; a follow-up
commit sometimes touches only shared code or tests, and once in a while moves a module out of a
service into `libs/` (a rename, listed with its previous name as GitHub does). A squash or merge
commit touches what its pull request's commits touched, a revert what the commit it reverts did.
Commits without a service (the initial commit, dependency bumps, adopting a workflow) touch only
repository-wide files. acme/web and acme/infra are one app each.

Every choice is drawn from the commit's own sha, never from the generator's random stream, so
the files change no other record of the organisation.
"""

from __future__ import annotations

import tomllib
from fnmatch import fnmatchcase
from functools import cache
from importlib import resources

from simulator.records import RENAMED_FROM

_MODULES = ("handlers.py", "models.py", "config.py", "client.py", "queries.py", "schemas.py")
_TESTS = ("tests/test_handlers.py", "tests/test_models.py", "tests/conftest.py")
_SHARED = ("libs/common/retry.py", "libs/common/http.py", "libs/telemetry/metrics.py",
           "libs/auth_client/tokens.py", "docs/architecture.md")  # fmt: skip
_SHARED_ONLY = ("libs/testing/fixtures.py", "docs/runbook.md", "libs/common/retry.py", "Makefile")
_WEB = ("src/checkout/Cart.tsx", "src/search/Results.tsx", "src/account/Profile.tsx",
        "src/api/client.ts", "src/styles/theme.css")  # fmt: skip
_INFRA = ("terraform/network/main.tf", "terraform/database/main.tf", "terraform/cluster/main.tf",
          "terraform/dns/records.tf", "modules/service/variables.tf")  # fmt: skip
BUMP = ("requirements.lock",)  # dependency bumps touch only repository-wide files
_INITIAL = ("README.md", "pyproject.toml", ".github/workflows/ci.yml", "libs/common/http.py")
_IMPORTED_MODULES = 50  # per service in the monorepo's initial import: 304 files, two pages


def _draw(sha: str, salt: int, n: int) -> int:
    """A number in [0, n) read from the sha (hex), different for each salt."""
    return int(sha[salt : salt + 6], 16) % n


def service_files(
    sha: str, kind: str, services: tuple[str, ...], follow_up: bool = False
) -> tuple[str, ...]:
    """The files a new commit of a pull request (or a push) about `services` touches."""
    if kind == "web":
        return (_WEB[_draw(sha, 0, len(_WEB))],)
    if kind == "infra":
        return (_INFRA[_draw(sha, 0, len(_INFRA))],)
    if not services:
        return (_SHARED_ONLY[_draw(sha, 0, len(_SHARED_ONLY))],)
    roll = _draw(sha, 6, 100)
    if follow_up and roll < 20:  # review fixes in shared test helpers or docs only
        return (_SHARED_ONLY[_draw(sha, 0, len(_SHARED_ONLY))],)
    files = []
    for i, service in enumerate(services):
        module = _MODULES[_draw(sha, 12 + i, len(_MODULES))]
        files.append(f"services/{service}/app/{module}")
        if _draw(sha, 18 + i, 3) == 0:
            files.append(f"services/{service}/{_TESTS[_draw(sha, 24 + i, len(_TESTS))]}")
    if follow_up and roll >= 97:  # a module moves out of the service into shared code
        moved = files[0].rsplit("/", 1)[1]
        files[0] = f"libs/common/{moved}{RENAMED_FROM}{files[0]}"
    elif not follow_up and roll < 20:  # shared code changed along with the service
        files.append(_SHARED[_draw(sha, 30, len(_SHARED))])
    return tuple(files)


def initial_files(kind: str, services: tuple[str, ...]) -> tuple[str, ...]:
    """The first commit: the monorepo's import of every service (more files than one page of
    `GET /commits/{sha}` holds), or the other repos' whole app."""
    if kind == "platform":
        imported = (
            f"services/{s}/app/m{i:02d}.py" for s in services for i in range(_IMPORTED_MODULES)
        )
        return (*_INITIAL, *imported)
    return (*_INITIAL[:2], *(_WEB if kind == "web" else _INFRA))


def union(*file_lists: tuple[str, ...]) -> tuple[str, ...]:
    """The files of several commits together (a squash or merge commit), each once."""
    return tuple(dict.fromkeys(f for files in file_lists for f in files))


def paths(files: tuple[str, ...]) -> tuple[str, ...]:
    """Every path a commit's files name: a moved file's new and previous path."""
    return tuple(p for f in files for p in f.split(RENAMED_FROM))


@cache
def service_paths() -> dict[tuple[str, str], tuple[str, ...]]:
    """`[[services]]` of the demo config (`simulator/demo.toml`): (repo, service) -> path globs,
    names lower-case. The truth follows these rules (`simulator.generator.truth`)."""
    config = tomllib.loads((resources.files("simulator") / "demo.toml").read_text("utf-8"))
    return {
        (rule["repo"].lower(), rule["name"].lower()): tuple(rule["paths"])
        for rule in config.get("services", [])
    }


def glob_matches(glob: str, path: str) -> bool:
    """A path glob read folder by folder: `*` and `?` within one, `**` any number of folders.

    The truth's own reading of the config's globs, independent of the models' regexes."""

    def match(globs: list[str], parts: list[str]) -> bool:
        if not globs:
            return not parts
        if globs[0] == "**":
            return any(match(globs[1:], parts[i:]) for i in range(len(parts) + 1))
        return bool(parts) and fnmatchcase(parts[0], globs[0]) and match(globs[1:], parts[1:])

    return match(glob.split("/"), path.split("/"))


def touches(files: tuple[str, ...], globs: tuple[str, ...]) -> bool:
    """Whether a commit with these files touched a path that one of the globs matches."""
    return any(glob_matches(glob, path) for glob in globs for path in paths(files))
