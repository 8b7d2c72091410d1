"""The GraphQL subset the ingest uses, served with GitHub's shapes, point costs and errors.

`POST /graphql` (and `/api/graphql`, as GitHub Enterprise Server) runs a query against this
subset of GitHub's schema with graphql-core: `node`/`nodes` by global id, deployments with their
statuses, pull requests with their commits, `repository`, and `rateLimit`. Connections follow
GitHub's shapes (`nodes`, `pageInfo { hasNextPage endCursor }`, `totalCount`), `first` is
required and at most 100, and an unknown id is a `NOT_FOUND` error beside the other results.

The cost follows GitHub's documented formula: every connection is one request for each parent
that may reach it (assuming each `first` is filled), a `nodes(ids:)` list multiplies what is
below it by its length, and the sum / 100, rounded, is the cost (at least 1).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    build_schema,
    execute,
    parse,
    validate,
)
from graphql.language import ListValueNode

from simulator.records import Commit, Deployment, Organisation, PullRequest, Repository
from simulator.server.payloads import node_id

SDL = """
scalar DateTime
scalar URI
scalar GitObjectID

interface Node { id: ID! }

type PageInfo { hasNextPage: Boolean! endCursor: String startCursor: String hasPreviousPage: Boolean! }

type RateLimit { cost: Int! limit: Int! remaining: Int! resetAt: DateTime! used: Int! nodeCount: Int! }

enum DeploymentStatusState { ERROR FAILURE INACTIVE PENDING SUCCESS QUEUED IN_PROGRESS WAITING }

type DeploymentStatus implements Node {
  id: ID!
  state: DeploymentStatusState!
  description: String
  environment: String
  environmentUrl: URI
  logUrl: URI
  createdAt: DateTime!
  updatedAt: DateTime!
}

type DeploymentStatusConnection { nodes: [DeploymentStatus] pageInfo: PageInfo! totalCount: Int! }

type Deployment implements Node {
  id: ID!
  databaseId: Int
  commitOid: String!
  createdAt: DateTime!
  updatedAt: DateTime!
  environment: String
  originalEnvironment: String
  task: String
  description: String
  statuses(first: Int, after: String, last: Int, before: String): DeploymentStatusConnection
}

type Commit implements Node {
  id: ID!
  oid: GitObjectID!
  message: String!
  authoredDate: DateTime!
  committedDate: DateTime!
  url: URI!
}

type PullRequestCommit implements Node { id: ID! commit: Commit! }

type PullRequestCommitConnection { nodes: [PullRequestCommit] pageInfo: PageInfo! totalCount: Int! }

type PullRequest implements Node {
  id: ID!
  databaseId: Int
  number: Int!
  title: String!
  mergedAt: DateTime
  updatedAt: DateTime!
  commits(first: Int, after: String, last: Int, before: String): PullRequestCommitConnection!
}

type Repository implements Node {
  id: ID!
  databaseId: Int
  nameWithOwner: String!
  isArchived: Boolean!
  isFork: Boolean!
}

type Query {
  node(id: ID!): Node
  nodes(ids: [ID!]!): [Node]!
  repository(owner: String!, name: String!): Repository
  rateLimit(dryRun: Boolean = false): RateLimit
}
"""

SCHEMA = build_schema(SDL)
MAX_PAGE = 100
MAX_IDS = 100


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _cursor(offset: int) -> str:
    return base64.b64encode(f"cursor:v2:{offset}".encode()).decode()


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        return int(base64.b64decode(cursor).decode().rsplit(":", 1)[1])
    except (ValueError, IndexError):
        raise GraphQLError(f"`{cursor}` does not appear to be a valid cursor.") from None


def connection(items: list, draw: Callable[[Any], dict], name: str) -> Callable[..., dict]:
    """A GitHub-style connection resolver over `items` (already in the connection's order)."""

    def resolve(info: Any, first: int | None = None, after: str | None = None, **_: Any) -> dict:
        if first is None:
            raise GraphQLError(
                f"You must provide a `first` or `last` value to properly paginate the `{name}` "
                "connection."
            )
        if not 0 <= first <= MAX_PAGE:
            raise GraphQLError(
                f"Requesting {first} records on the `{name}` connection exceeds the `first` "
                f"limit of {MAX_PAGE} records."
            )
        start = _offset(after)
        chunk = items[start : start + first]
        end = start + len(chunk)
        return {
            "nodes": [draw(item) for item in chunk],
            "totalCount": len(items),
            "pageInfo": {
                "hasNextPage": end < len(items),
                "hasPreviousPage": start > 0,
                "startCursor": _cursor(start + 1) if chunk else None,
                "endCursor": _cursor(end) if chunk else None,
            },
        }

    return resolve


class GraphQLApi:
    """Resolves the schema above against the organisation's records."""

    def __init__(self, org: Organisation, web: str = "") -> None:
        self.org = org
        self.rebuild()

    def rebuild(self) -> None:
        """Index objects by global id (again after `advance`)."""
        by_id: dict[str, tuple[Repository, Any]] = {}
        for repo in self.org.repos.values():
            by_id[node_id("R", repo.id)] = (repo, repo)
            for d in repo.deployments:
                by_id[node_id("DE", d.id)] = (repo, d)
            for pr in repo.pulls:
                by_id[node_id("PR", pr.id)] = (repo, pr)
        self.by_id = by_id

    # --- objects ---

    def draw(self, repo: Repository, obj: Any) -> dict:
        if isinstance(obj, Deployment):
            return self.deployment(repo, obj)
        if isinstance(obj, PullRequest):
            return self.pull_request(repo, obj)
        return self.repository(obj)

    def repository(self, repo: Repository) -> dict:
        return {
            "__typename": "Repository",
            "id": node_id("R", repo.id),
            "databaseId": repo.id,
            "nameWithOwner": repo.full_name,
            "isArchived": repo.archived,
            "isFork": False,
        }

    def deployment(self, repo: Repository, d: Deployment) -> dict:
        newest_first = list(reversed(d.statuses))
        return {
            "__typename": "Deployment",
            "id": node_id("DE", d.id),
            "databaseId": d.id,
            "commitOid": d.sha,
            "createdAt": iso(d.created_at),
            "updatedAt": iso(d.updated_at),
            "environment": d.environment,
            "originalEnvironment": d.original_environment,
            "task": d.task,
            "description": d.description,
            "statuses": connection(newest_first, self.status, "statuses"),
        }

    def status(self, s: Any) -> dict:
        return {
            "__typename": "DeploymentStatus",
            "id": node_id("DES", s.id),
            "state": s.state.upper(),
            "description": s.description,
            "environment": s.environment,
            "environmentUrl": "",
            "logUrl": s.log_url,
            "createdAt": iso(s.created_at),
            "updatedAt": iso(s.created_at),
        }

    def pull_request(self, repo: Repository, pr: PullRequest) -> dict:
        commits = [repo.commits[sha] for sha in pr.commits if sha in repo.commits]
        return {
            "__typename": "PullRequest",
            "id": node_id("PR", pr.id),
            "databaseId": pr.id,
            "number": pr.number,
            "title": pr.title,
            "mergedAt": iso(pr.merged_at),
            "updatedAt": iso(pr.updated_at),
            "commits": connection(commits, lambda c: self.pull_commit(repo, pr, c), "commits"),
        }

    def pull_commit(self, repo: Repository, pr: PullRequest, c: Commit) -> dict:
        return {
            "__typename": "PullRequestCommit",
            "id": node_id("PURC", pr.id * 1000 + pr.commits.index(c.sha)),
            "commit": {
                "__typename": "Commit",
                "id": node_id("C", int(c.sha[:15], 16)),
                "oid": c.sha,
                "message": c.message,
                "authoredDate": c.author_date.isoformat(),  # GitHub keeps the author's offset
                "committedDate": c.committer_date.isoformat(),
                "url": f"/{repo.full_name}/commit/{c.sha}",
            },
        }

    # --- root fields ---

    def root(self, rate_limit: dict) -> dict:
        def node(info: Any, id: str) -> dict | None:  # noqa: A002 (GraphQL's argument name)
            found = self.by_id.get(id)
            if found is None:
                raise GraphQLError(f"Could not resolve to a node with the global id of '{id}'")
            return self.draw(*found)

        def nodes(info: Any, ids: list[str]) -> list:
            if len(ids) > MAX_IDS:
                raise GraphQLError(f"You may not request more than {MAX_IDS} ids at once.")
            out: list = []
            for one in ids:
                found = self.by_id.get(one)
                out.append(
                    self.draw(*found)
                    if found
                    else GraphQLError(f"Could not resolve to a node with the global id of '{one}'")
                )
            return out

        def repository(info: Any, owner: str, name: str) -> dict | None:
            repo = self.org.repos.get(f"{owner}/{name}")
            if repo is None:
                raise GraphQLError(
                    f"Could not resolve to a Repository with the name '{owner}/{name}'."
                )
            return self.repository(repo)

        return {
            "node": node,
            "nodes": nodes,
            "repository": repository,
            "rateLimit": lambda info, dryRun=False: rate_limit,  # noqa: N803
        }

    def run(self, document: Any, variables: dict, rate_limit: dict) -> dict:
        """Execute a parsed, validated document; GitHub's response body (`data`, `errors`)."""
        result = execute(SCHEMA, document, self.root(rate_limit), variable_values=variables)
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [github_error(e) for e in result.errors]
        return body


def github_error(error: GraphQLError) -> dict:
    """graphql-core's error in GitHub's shape (a top-level `type`)."""
    formatted = dict(error.formatted)
    message = formatted.get("message", "")
    if message.startswith("Could not resolve to a"):
        formatted = {"type": "NOT_FOUND", **formatted}
    elif "exceeds the `first` limit" in message or "must provide a `first`" in message:
        formatted = {"type": "MISSING_PAGINATION_BOUNDARIES", **formatted}
    return formatted


def prepare(body: Any) -> tuple[Any, dict, list[dict]]:
    """(document, variables, errors) of a request body; errors mean the query cannot run."""
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        return None, {}, [{"message": "A query attribute must be specified and must be a string."}]
    variables = body.get("variables") or {}
    try:
        document = parse(body["query"])
    except GraphQLError as exc:
        return None, {}, [{"message": exc.message, "locations": exc.formatted.get("locations")}]
    errors = validate(SCHEMA, document)
    if errors:
        return None, {}, [github_error(e) for e in errors]
    return document, variables, []


def query_cost(document: Any, variables: dict) -> int:
    """GitHub's documented point cost of a query (see the module docstring)."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    requests = sum(_requests(op.selection_set, 1, variables, fragments) for op in operations[:1])
    return max(1, round(requests / 100))


def _value(node: Any, variables: dict) -> Any:
    if isinstance(node, VariableNode):
        return variables.get(node.name.value)
    if isinstance(node, ListValueNode):
        return [_value(v, variables) for v in node.values]
    return getattr(node, "value", None)


def _requests(
    selection_set: SelectionSetNode | None, parents: int, variables: dict, fragments: dict
) -> int:
    if selection_set is None:
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, InlineFragmentNode):
            total += _requests(selection.selection_set, parents, variables, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            total += _requests(fragment and fragment.selection_set, parents, variables, fragments)
        elif isinstance(selection, FieldNode):
            args = {a.name.value: _value(a.value, variables) for a in selection.arguments or ()}
            page = args.get("first") or args.get("last")
            if selection.name.value == "nodes" and isinstance(args.get("ids"), list):
                below = parents * len(args["ids"])
            elif isinstance(page, int):
                total += parents  # one request per parent for this connection
                below = parents * page
            else:
                below = parents
            total += _requests(selection.selection_set, below, variables, fragments)
    return total
