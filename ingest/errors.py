"""What can go wrong talking to GitHub, as the ingest tells it apart (the CLI turns each into
one line and an exit code)."""

from __future__ import annotations

import requests

# Network failures worth another try (with backoff): the connection, a body cut short, a timeout.
RETRYABLE_NETWORK = (
    requests.exceptions.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.Timeout,
)


class GitHubError(Exception):
    """A response the ingest cannot use; `status` is the HTTP status (0 for network)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class BadCredentials(GitHubError):
    """401: the token is wrong or expired; nothing else can work, so everything stops."""


class NotFound(GitHubError):
    """404: the repository (or the path) does not exist, or the token cannot see it."""


class AccessDenied(GitHubError):
    """403 that is not a rate limit: the token lacks access."""


class TransientError(GitHubError):
    """Server errors or network failures that outlasted every retry."""


class MaxWaitExceeded(GitHubError):
    """Waiting any longer would pass `max_wait`: stop cleanly, with everything so far saved."""


class Aborted(GitHubError):
    """Another task hit a fatal error (bad token, max wait); this one stops too."""
