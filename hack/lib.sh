# Shared by the README's commands (hack/up, hack/run-tests, hack/bench/run,
# hack/cluster-demo): the Node.js rediclaim runs on, and the Node dependencies of the
# lock file. Sourced, not run.

# The Node.js of .nvmrc (an exact version): this machine's own when it is on that major
# line, else the official binary from the npm registry (the node-linux-<arch> package
# holds bin/node), cached under ~/.cache/rediclaim and put first on PATH. npm is the
# machine's; it runs on whichever node is first.
ensure_node() {
  local root=$1 want major arch dir
  want=$(tr -d ' v\n' <"$root/.nvmrc")
  major=${want%%.*}
  if command -v node >/dev/null && [[ $(node -p 'process.versions.node.split(".")[0]') == "$major" ]]; then
    return 0
  fi
  case $(uname -m) in
    x86_64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "Node.js $want is needed; no official binary for $(uname -m): install it by hand" >&2; exit 1 ;;
  esac
  dir=${RC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rediclaim}/node-$want-$arch
  if [[ ! -x $dir/bin/node ]]; then
    command -v npm >/dev/null || { echo "npm is needed to fetch Node.js $want (apt-get install npm)" >&2; exit 1; }
    echo "[rediclaim] fetching Node.js $want from the npm registry (node-linux-$arch; cached in $dir)" >&2
    local tmp; tmp=$(mktemp -d)
    (cd "$tmp" && npm pack "node-linux-$arch@$want" --silent >/dev/null) &&
      tar -xzf "$tmp"/node-linux-"$arch"-*.tgz -C "$tmp" &&
      "$tmp/package/bin/node" --version >/dev/null &&
      mkdir -p "$(dirname "$dir")" && rm -rf "$dir" && mv "$tmp/package" "$dir" ||
      { rm -rf "$tmp"; echo "could not fetch Node.js $want" >&2; exit 1; }
    rm -rf "$tmp"
  fi
  export PATH="$dir/bin:$PATH"
}

# The Node dependencies, as the lock file pins them.
ensure_node_modules() {
  local root=$1
  ensure_node "$root"
  # npm writes node_modules/.package-lock.json on every install: when it is older than
  # the lock file, the tree is stale. A tree installed by another Node major is too
  # (native add-ons, engines checks): .node-major remembers which.
  local major; major=$(node -p 'process.versions.node.split(".")[0]')
  if [[ ! -f $root/node_modules/.package-lock.json || $root/package-lock.json -nt $root/node_modules/.package-lock.json ||
    $(cat "$root/node_modules/.node-major" 2>/dev/null) != "$major" ]]; then
    echo "[rediclaim] installing Node dependencies (npm ci, Node $(node -v))" >&2
    (cd "$root" && npm ci --no-audit --no-fund --loglevel=error) && echo "$major" >"$root/node_modules/.node-major"
  fi
}
