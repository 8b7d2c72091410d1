-- The raw layer: one table per GitHub stream, typed columns plus the original JSON (`payload`).
-- Every timestamp is UTC (TIMESTAMP without zone). Natural keys are primary keys, so loads upsert.
-- Models read the typed columns; `payload` lets them be rebuilt or extended without re-fetching.
create schema if not exists raw;

-- Version 2 added raw.http_etags.summary and raw.compared_shas, version 3 raw.commit_files
-- (ingest.store upgrades older files).
create table if not exists raw.schema_version (
    version integer not null,
    applied_at timestamp not null
);

create table if not exists raw.repositories (
    repo varchar primary key,            -- owner/name as asked for
    repo_id bigint,
    full_name varchar,                   -- as GitHub reports it (differs after a rename)
    default_branch varchar,
    archived boolean,
    private boolean,
    html_url varchar,
    created_at timestamp,
    pushed_at timestamp,
    payload json
);

create table if not exists raw.workflows (
    repo varchar not null,
    workflow_id bigint not null,
    name varchar,
    path varchar,
    state varchar,
    html_url varchar,
    created_at timestamp,
    updated_at timestamp,
    payload json,
    primary key (repo, workflow_id)
);

-- One row per run: the latest attempt seen (the list endpoint serves the latest attempt).
create table if not exists raw.workflow_runs (
    repo varchar not null,
    run_id bigint not null,
    run_attempt integer,
    workflow_id bigint,
    name varchar,
    path varchar,
    event varchar,
    status varchar,
    conclusion varchar,
    head_sha varchar,
    head_branch varchar,
    actor_login varchar,
    triggering_actor_login varchar,
    run_number bigint,
    display_title varchar,
    created_at timestamp,
    run_started_at timestamp,
    updated_at timestamp,
    html_url varchar,
    payload json,
    primary key (repo, run_id)
);

-- Jobs of every attempt (`filter=all`); `run_attempt` says which.
create table if not exists raw.workflow_jobs (
    repo varchar not null,
    job_id bigint not null,
    run_id bigint,
    run_attempt integer,
    name varchar,
    status varchar,
    conclusion varchar,
    head_sha varchar,
    created_at timestamp,
    started_at timestamp,
    completed_at timestamp,
    html_url varchar,
    payload json,
    primary key (repo, job_id)
);

create table if not exists raw.deployments (
    repo varchar not null,
    deployment_id bigint not null,
    sha varchar,
    ref varchar,
    task varchar,
    environment varchar,
    original_environment varchar,
    description varchar,
    creator_login varchar,
    transient_environment boolean,
    production_environment boolean,
    created_at timestamp,
    updated_at timestamp,
    payload json,
    primary key (repo, deployment_id)
);

create table if not exists raw.deployment_statuses (
    repo varchar not null,
    status_id bigint not null,
    deployment_id bigint not null,
    state varchar,
    description varchar,
    environment varchar,
    log_url varchar,
    target_url varchar,
    created_at timestamp,
    updated_at timestamp,
    payload json,
    primary key (repo, status_id)
);

create table if not exists raw.environments (
    repo varchar not null,
    environment_id bigint not null,
    name varchar,
    html_url varchar,
    created_at timestamp,
    updated_at timestamp,
    protection_rules json,
    payload json,
    primary key (repo, environment_id)
);

-- Commits of the default branch, plus those reached only through compare ranges of deployed shas.
create table if not exists raw.commits (
    repo varchar not null,
    sha varchar not null,
    parents varchar[],
    author_name varchar,
    author_email varchar,
    author_login varchar,
    author_date timestamp,
    committer_name varchar,
    committer_email varchar,
    committer_date timestamp,
    message varchar,
    html_url varchar,
    payload json,
    primary key (repo, sha)
);

create table if not exists raw.pull_requests (
    repo varchar not null,
    number integer not null,
    pr_id bigint,
    title varchar,
    state varchar,
    user_login varchar,
    head_ref varchar,
    base_ref varchar,
    head_sha varchar,
    merge_commit_sha varchar,
    labels varchar[],
    created_at timestamp,
    updated_at timestamp,
    closed_at timestamp,
    merged_at timestamp,
    html_url varchar,
    payload json,
    primary key (repo, number)
);

-- The commits of merged pull requests (`GET /pulls/{n}/commits`), for squash-safe lead time.
create table if not exists raw.pull_request_commits (
    repo varchar not null,
    pr_number integer not null,
    sha varchar not null,
    author_date timestamp,
    committer_date timestamp,
    message varchar,
    payload json,
    primary key (repo, pr_number, sha)
);

-- Issues carrying an incident label (pull requests excluded).
create table if not exists raw.issues (
    repo varchar not null,
    number integer not null,
    issue_id bigint,
    title varchar,
    state varchar,
    state_reason varchar,
    user_login varchar,
    labels varchar[],
    created_at timestamp,
    updated_at timestamp,
    closed_at timestamp,
    html_url varchar,
    payload json,
    primary key (repo, number)
);

-- Workflow YAML files of the default branch, with their parsed definition (see ingest.workflow_yaml).
create table if not exists raw.workflow_files (
    repo varchar not null,
    path varchar not null,
    blob_sha varchar,
    content varchar,
    definition json,                     -- normalised: {name, on: [...], workflow_run: [...], jobs: [...]}
    parse_error varchar,                 -- set when the YAML did not parse; definition is then NULL
    fetched_at timestamp,
    primary key (repo, path)
);

-- Items a stream could not store (malformed payloads), counted and kept for the data-quality report.
create table if not exists raw.skipped_items (
    repo varchar not null,
    stream varchar not null,
    item_key varchar not null,
    reason varchar,
    seen_at timestamp,
    primary key (repo, stream, item_key)
);

-- One cursor per repo x stream, written in the same transaction as the rows it covers.
create table if not exists raw.sync_state (
    repo varchar not null,
    stream varchar not null,
    cursor_at timestamp,
    details json,
    synced_at timestamp,
    primary key (repo, stream)
);

-- Stored ETag per page URL, for conditional re-reads that GitHub does not charge for.
-- `summary` (schema 2) remembers what a 304 does not resend: the next page's URL, the item count,
-- total_count and the range of the stream's cursor field on that page.
create table if not exists raw.http_etags (
    url varchar primary key,
    etag varchar,
    fetched_at timestamp,
    summary json
);

-- Schema 2: deployed shas looked up with `compare/{default_branch}...{sha}` (off-branch commit ranges).
-- status: ahead | behind | identical | diverged | not_found; the commits ahead are in raw.commits.
create table if not exists raw.compared_shas (
    repo varchar not null,
    sha varchar not null,
    base_ref varchar,
    status varchar,
    ahead_by integer,
    behind_by integer,
    merge_base_sha varchar,
    fetched_at timestamp,
    primary key (repo, sha)
);

-- GitHub teams (only with `teams_from_github = true`): replaced whole per organisation at each
-- sync, so a deleted team or a repository taken away from a team disappears.
create table if not exists raw.github_teams (
    org varchar not null,
    slug varchar not null,
    team_id bigint,
    name varchar,
    description varchar,
    html_url varchar,
    parent_slug varchar,
    payload json,
    primary key (org, slug)
);

-- The repositories of each team (`GET /orgs/{org}/teams/{team_slug}/repos`); `repo_full_name`,
-- not `repo`: these rows belong to the organisation, not to one repository's sync.
create table if not exists raw.github_team_repositories (
    org varchar not null,
    team_slug varchar not null,
    repo_full_name varchar not null,
    role_name varchar,
    payload json,
    primary key (org, team_slug, repo_full_name)
);

-- Schema 3: the files each commit changed (`GET /commits/{sha}`), read once per non-merge commit of
-- a repository with `[[services]]` path rules (ingest.streams.commit_files). One row per commit
-- asked for: `paths` holds each changed file's name and, for a rename, its previous name too (an
-- empty list: a commit that changed no file); NULL when GitHub no longer has the commit.
create table if not exists raw.commit_files (
    repo varchar not null,
    sha varchar not null,
    status varchar,                      -- ok | not_found (404/422: the commit is gone)
    paths varchar[],
    file_count integer,                  -- files GitHub listed (it lists at most 3,000 per commit)
    payload json,                        -- the listed files without their patches
    primary key (repo, sha)
);
