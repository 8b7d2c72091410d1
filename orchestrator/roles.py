"""What a workflow does, read from its file name, its `name:`, the actions it uses and its commands.

The role is the third and weakest source of order (after the YAML and the run history): the
usual order of a release is infrastructure -> database -> service accounts/secrets -> platform
services -> applications -> CDN -> validation. Names decide first; the actions and commands
only when the names say nothing (a `terraform` command in a file called `nightly.yml`).
"""

from __future__ import annotations

import re

from orchestrator.workflow_file import WorkflowFile

DEPLOY_ROLES = ("infrastructure", "database", "secrets", "services", "application", "cdn")
RELEASE_ORDER = (*DEPLOY_ROLES, "validation")

# Checked in this order: the first role with a matching word wins ("deploy-service-accounts" is
# secrets, not application; "post-deploy-validation" is validation; "ci-cd-pipeline" deploys).
_WORDS = (
    ("rollback", {"rollback", "revert", "undo"}),
    ("validation", {"validation", "validate", "verification", "verify", "smoke", "healthcheck"}),
    ("cdn", {"cdn", "cloudfront", "fastly", "akamai", "assets", "purge"}),
    ("secrets", {"secret", "secrets", "credential", "credentials", "vault", "iam", "accounts",
                 "serviceaccount", "serviceaccounts", "keys", "certificates", "certs"}),
    ("database", {"database", "databases", "db", "postgres", "postgresql", "mysql", "mariadb",
                  "mongo", "mongodb", "redis", "qdrant", "elasticsearch", "opensearch", "migrate",
                  "migration", "migrations", "flyway", "liquibase", "schema"}),
    ("services", {"monitoring", "prometheus", "grafana", "observability", "logging", "linkerd",
                  "istio", "mesh", "ingress", "kafka", "rabbitmq", "nats", "dns"}),
    ("infrastructure", {"infrastructure", "infra", "terraform", "tofu", "opentofu", "pulumi",
                        "cloudformation", "cdk", "network", "networking", "vpc", "cluster",
                        "provision", "bootstrap"}),
    ("application", {"deploy", "deployment", "release", "rollout", "publish", "ship", "cd",
                     "canary", "progressive", "promote", "app", "application", "helm", "argocd"}),
    ("quality", {"ci", "test", "tests", "lint", "check", "checks", "safety", "security", "scan",
                 "audit", "codeql", "analysis", "build", "format", "typecheck"}),
)  # fmt: skip
_COMMANDS = (
    ("infrastructure", re.compile(r"\b(terraform|tofu|pulumi|cdk deploy|aws cloudformation)\b")),
    ("database", re.compile(r"\b(psql|pg_restore|flyway|liquibase|alembic upgrade)\b")),
    ("application", re.compile(r"\b(kubectl apply|helm (upgrade|install)|argocd app sync)\b")),
)
_ACTIONS = (
    ("infrastructure", ("hashicorp/setup-terraform", "pulumi/actions", "aws-actions/aws-cloudformation")),
    ("application", ("azure/k8s-deploy", "azure/webapps-deploy", "google-github-actions/deploy")),
)  # fmt: skip


def words(text: str) -> set[str]:
    """Lower-case words of a name; `deploy-service-accounts.yml` -> {deploy, service, accounts}."""
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def role_of(workflow: WorkflowFile) -> str | None:
    """The workflow's role, or None when nothing about it says."""
    named = words(workflow.stem) | words(workflow.name)
    for role, vocabulary in _WORDS:
        if named & vocabulary:
            return role
    for role, prefixes in _ACTIONS:
        if any(a.lower().startswith(prefixes) for a in workflow.actions):
            return role
    for role, pattern in _COMMANDS:
        if pattern.search(workflow.commands):
            return role
    return None


def role_rank(role: str | None) -> int | None:
    """Position in the usual release order; None for roles outside it."""
    return RELEASE_ORDER.index(role) if role in RELEASE_ORDER else None


def deploys(workflow: WorkflowFile, role: str | None) -> bool:
    """Does it change something that runs: a deployment role, or a job with `environment:`?"""
    return role in DEPLOY_ROLES or any(job.get("environment") for job in workflow.jobs)
