"""Run the real actionlint on a proposal, inside the estate it calls (as it would be committed)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from orchestrator.callable import apply_on_block


def actionlint_binary() -> str:
    """The `actionlint` of this environment (a dev dependency: never skipped)."""
    beside = Path(sys.executable).with_name("actionlint")
    found = str(beside) if beside.exists() else shutil.which("actionlint")
    assert found, "actionlint is not installed: run `make setup`"
    return found


def lint(
    root: Path, files: dict[str, str], proposal: str, name: str, blocks: dict[str, str]
) -> list[str]:
    """Findings of actionlint on `proposal` written as .github/workflows/<name> beside `files`,
    with each `on:` block the proposal asks for applied; [] means it passes."""
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(apply_on_block(text, blocks[path]) if path in blocks else text)
    generated = root / ".github" / "workflows" / name
    generated.parent.mkdir(parents=True, exist_ok=True)
    generated.write_text(proposal)
    result = subprocess.run(
        [actionlint_binary(), "-no-color", "-oneline", str(generated.relative_to(root))],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    return [line for line in result.stdout.splitlines() if line.strip()]
