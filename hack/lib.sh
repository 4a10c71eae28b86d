# Shared by hack/up and hack/test: make sure the Node dependencies match the lock file.
# Sourced, not run.

ensure_node_modules() {
  local root=$1
  command -v node >/dev/null || { echo "Node.js 20 or newer is needed (https://nodejs.org)" >&2; exit 1; }
  local major; major=$(node -p 'process.versions.node.split(".")[0]')
  ((major >= 20)) || { echo "Node.js 20 or newer is needed, found $(node -v)" >&2; exit 1; }
  # npm writes node_modules/.package-lock.json on every install: when it is older than
  # the lock file, the tree is stale.
  if [[ ! -f $root/node_modules/.package-lock.json || $root/package-lock.json -nt $root/node_modules/.package-lock.json ]]; then
    echo "[rediclaim] installing Node dependencies (npm ci)" >&2
    (cd "$root" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}
