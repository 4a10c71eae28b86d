# Shared by hack/kind/up, down and crowd. Sourced, not run.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CLUSTER=${RC_KIND_CLUSTER:-rediclaim}
NAMESPACE=${RC_NAMESPACE:-rediclaim}
RELEASE=${RC_RELEASE:-rediclaim}
TAG=${RC_IMAGE_TAG:-dev}
KIND_VERSION=v0.33.0
CACHE=${RC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/rediclaim}
SERVICES=(gate issuer operator)

log() { printf '\033[1m[kind]\033[0m %s\n' "$*" >&2; }
die() { printf '[kind] error: %s\n' "$*" >&2; exit 1; }

need_docker() {
  command -v docker >/dev/null || die "Docker is needed (https://docs.docker.com/get-docker/)"
  docker info >/dev/null 2>&1 || die "Docker is installed but its daemon does not answer: start Docker Desktop (or dockerd) first"
}

# kind from PATH, else the cached build, else built once through the Go module proxy.
ensure_kind() {
  if command -v kind >/dev/null; then KIND=$(command -v kind); return; fi
  KIND=$CACHE/bin/kind-$KIND_VERSION
  [[ -x $KIND ]] && return
  command -v go >/dev/null || die "kind is needed: install it (https://kind.sigs.k8s.io) or install Go so this script can build it"
  log "building kind $KIND_VERSION through the Go module proxy (once; cached in $KIND)"
  mkdir -p "$CACHE/bin"
  GOBIN=$CACHE/gobin-kind go install "sigs.k8s.io/kind@$KIND_VERSION" || die "building kind failed"
  mv "$CACHE/gobin-kind/kind" "$KIND"
  rm -rf "$CACHE/gobin-kind"
}

# helm from PATH, else the one hack/stack builds and caches.
ensure_helm() {
  if command -v helm >/dev/null; then HELM=$(command -v helm); return; fi
  "$ROOT/hack/stack" install helm
  HELM=$(ls "$CACHE"/bin/helm-v* | sort -V | tail -1)
}

ensure_kubectl() {
  command -v kubectl >/dev/null || die "kubectl is needed (https://kubernetes.io/docs/tasks/tools/)"
}

cluster_exists() { "$KIND" get clusters 2>/dev/null | grep -qx "$CLUSTER"; }

# An RFC 3339 UTC time N seconds from now (GNU date, BSD/macOS date, or node).
utc_in() {
  local s=$1
  date -u -d "+$s seconds" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null ||
    date -u -v+"$s"S +%Y-%m-%dT%H:%M:%SZ 2>/dev/null ||
    node -e 'console.log(new Date(Date.now() + Number(process.argv[1]) * 1000).toISOString().replace(/\.\d+Z$/, "Z"))' "$s"
}
