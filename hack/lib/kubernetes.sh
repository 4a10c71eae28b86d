# The Kubernetes binaries hack/stack and hack/cluster run, built through the Go module
# proxy from hack/kubernetes (one module, the same replace block for every binary) and
# cached under $CACHE/bin, keyed by version and by a hash of the module's files: a warm
# machine never builds twice. Sourced after hack/lib/common.sh, with ROOT and CACHE set.

K8S_VERSION=v1.34.4
HELM_VERSION=v3.21.4
# Built with go install (their own modules, no replace lines): statically, so that each
# runs from an image that holds nothing else.
COREDNS_VERSION=v1.12.4
LOCAL_PATH_PROVISIONER_VERSION=v0.0.30
CRICTL_VERSION=v1.34.0
# NetworkPolicy enforcement in hack/cluster (its firewall only).
KUBE_ROUTER=github.com/cloudnativelabs/kube-router/v2/cmd/kube-router@v2.1.0

# Without these, /version says v0.0.0 and Helm's kubeVersion checks fail.
kube_ldflags() {
  local v=${K8S_VERSION#v}
  printf '%s' "-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION" \
    " -X k8s.io/component-base/version.gitMajor=${v%%.*} -X k8s.io/component-base/version.gitMinor=$(cut -d. -f2 <<<"$v")" \
    " -X k8s.io/component-base/version.gitTreeState=clean"
}

# kube-apiserver with an embedded etcd (hack/kubernetes/kube-apiserver-etcd), or one of the
# module's tools: kubelet, kube-controller-manager, kube-scheduler, kube-proxy.
kube_bin() {
  local m=$ROOT/hack/kubernetes h
  if [[ $1 == kube-apiserver ]]; then h=$(hash_of "$m/go.mod" "$m/go.sum" "$m/kube-apiserver-etcd/main.go")
  else h=$(hash_of "$m/go.mod" "$m/go.sum"); fi
  echo "$CACHE/bin/$1-$K8S_VERSION-$h"
}

build_kube() { [[ -x $(kube_bin "$1") ]] || with_cache_lock build build_kube_locked "$@"; }
build_kube_locked() { # name
  local name=$1 bin; bin=$(kube_bin "$1")
  [[ -x $bin ]] && return 0
  command -v go >/dev/null || die "Go is needed to build $name (apt-get install golang, or see go.dev)"
  local pkg=k8s.io/kubernetes/cmd/$name
  [[ $name == kube-apiserver ]] && pkg=./kube-apiserver-etcd
  log "building $name $K8S_VERSION through the Go module proxy (minutes, once; cached in $bin)"
  mkdir -p "$CACHE/bin"
  (cd "$ROOT/hack/kubernetes" && GOFLAGS=-mod=mod go build -trimpath -ldflags "$(kube_ldflags)" -o "$bin.tmp" "$pkg" >"$CACHE/$name-build.log" 2>&1) ||
    die "building $name failed (see $CACHE/$name-build.log)"
  mv "$bin.tmp" "$bin"
}

helm_bin() { echo "$CACHE/bin/helm-$HELM_VERSION"; }

build_helm() { [[ -x $(helm_bin) ]] || with_cache_lock build build_helm_locked; }
build_helm_locked() {
  local bin; bin=$(helm_bin)
  [[ -x $bin ]] && return 0
  command -v go >/dev/null || die "Go is needed to build helm (apt-get install golang, or see go.dev)"
  log "building helm $HELM_VERSION through the Go module proxy (cached in $bin)"
  mkdir -p "$CACHE/bin"
  # Without these ldflags `helm template` assumes Kubernetes v1.20 for .Capabilities.
  local v=${K8S_VERSION#v}
  GOBIN=$CACHE/gobin-helm go install -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=${v%%.*} -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$(cut -d. -f2 <<<"$v")" \
    "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >"$CACHE/helm-build.log" 2>&1 || die "building helm failed (see $CACHE/helm-build.log)"
  mv "$CACHE/gobin-helm/helm" "$bin"
  rm -rf "$CACHE/gobin-helm"
}

# A command of another module, static: go_tool_bin name module/path@version
go_tool_bin() { echo "$CACHE/bin/$1-${2##*@}"; }

build_go_tool() { [[ -x $(go_tool_bin "$1" "$2") ]] || with_cache_lock build build_go_tool_locked "$@"; }
build_go_tool_locked() { # name module/path@version
  local name=$1 spec=$2 bin; bin=$(go_tool_bin "$1" "$2")
  [[ -x $bin ]] && return 0
  command -v go >/dev/null || die "Go is needed to build $name (apt-get install golang, or see go.dev)"
  log "building $name ${spec##*@} through the Go module proxy (once; cached in $bin)"
  mkdir -p "$CACHE/bin"
  local gobin=$CACHE/gobin-$name
  rm -rf "$gobin"
  CGO_ENABLED=0 GOBIN=$gobin go install -trimpath -ldflags "-s -w" "$spec" >"$CACHE/$name-build.log" 2>&1 ||
    die "building $name failed (see $CACHE/$name-build.log)"
  mv "$gobin/$(basename "${spec%@*}")" "$bin"
  rm -rf "$gobin"
}
