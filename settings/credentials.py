"""Where the GitHub token comes from: the environment only, never a file or a parameter."""

from __future__ import annotations

import os

# GitHub's own CLI reads GH_TOKEN; GITHUB_TOKEN (what Actions sets) wins when both are set.
TOKEN_VARIABLES = ("GITHUB_TOKEN", "GH_TOKEN")


def github_token() -> str | None:
    """The token from GITHUB_TOKEN, else GH_TOKEN; None when neither is set."""
    for name in TOKEN_VARIABLES:
        if os.environ.get(name):
            return os.environ[name]
    return None
