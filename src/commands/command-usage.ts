// Each command's usage, apart from the command itself: `slipway --help` and a usage error load
// no more than this.

export const POOL_USAGE = `usage: slipway pool <status|seed|drain>

  status                     the Docker host's pool: each daemon, its project, state and seeds
  seed AFFINITY IMAGE…       start a daemon for the pool and pull IMAGEs into it (what
                             \`slipway run\` leaves running in the background after a run)
  drain                      remove every unclaimed pool daemon`;

export const RUN_USAGE = `usage: slipway run [DIR] [--sha SHA] [--json] [--project NAME] [--ref BRANCH] [--default-branch BRANCH] [--no-push] [--play JOB]…

Runs the pipeline of the checkout in DIR (default: here) on this machine's Docker, in a fresh
Docker-in-Docker daemon, as a push of --ref would run it (.slipway.yml, else .gitlab-ci.yml,
else a Dockerfile's build).

  --sha SHA                the commit it runs as (default: the checkout's HEAD, or a hash of its files)
  --ref BRANCH             the branch it runs as, for rules and CI_COMMIT_BRANCH (default: the checkout's)
  --default-branch BRANCH  the project's default branch (default: main)
  --project NAME           the project, and the registry repository it pushes to (default: DIR's name)
  --no-push                build the image but push nothing
  --play JOB               run this manual (or delayed) job too, as if a person had played it; repeatable
  --json                   one JSON object on stdout (the live log goes to stderr)

Reads: DOCKER_HOST; SLIPWAY_REGISTRY (where images go; with SLIPWAY_REGISTRY_USER and
SLIPWAY_REGISTRY_PASSWORD); SLIPWAY_REGISTRY_MIRROR; SLIPWAY_DIND_* (the daemon);
SLIPWAY_JOB_NETWORK, SLIPWAY_JOB_TIMEOUT, SLIPWAY_DEFAULT_IMAGE (jobs); DATABASE_URL (when set,
the run is recorded and shown in the web UI at PUBLIC_URL). Every variable is in docs/configuration.md.

Exit status: 0 the pipeline passed (or its workflow rules run nothing); 1 it failed, was
canceled or waits for a job to be played; 65 the pipeline file cannot be read; 64 the command
line is wrong; 69 Docker or the database cannot be reached; 78 a setting is wrong.`;

export const VARIABLES_USAGE = `usage: slipway variables <set|list|unset|rekey> …

  set PROJECT NAME [--masked] [--protected] [--file] [--environment ENV]
                 store a CI/CD variable; the value is read from standard input
                 (one trailing newline is dropped unless --file)
  list PROJECT   names and settings, never values
  unset PROJECT NAME [--environment ENV]
  rekey          encrypt every value again under the key read from standard input;
                 SLIPWAY_SECRET_KEY is the current one`;

export const VERIFY_USAGE = `usage: slipway verify IMAGE [--key FILE] [--json]

Checks the signed provenance Slipway stored beside IMAGE (registry/repository:tag or @sha256:…):
that its signature verifies with Slipway's key (--key, a PEM public key such as the server's
/signing-key.pub; by default this installation's own key), and that it is about that very
image. Prints the statement and the verdict; exits 0 only for a valid one. Reads the registry
with SLIPWAY_REGISTRY_USER/PASSWORD when IMAGE is in SLIPWAY_REGISTRY.`;

export const WEBHOOK_SECRET_USAGE = `usage: slipway webhook-secret gitlab PROJECT_ID

Makes a new webhook secret for one GitLab project (its numeric id, on its overview page) and
prints it once: set it as the secret token of that project's webhook (PUBLIC_URL/webhooks/gitlab).
A hook with it is accepted only about that project; the project's previous secret stops working.
The same is POST /api/webhook-secrets/gitlab/PROJECT_ID with the admin token.`;
