#!/usr/bin/env bash
# Prepares, idempotently, everything Slipway's tests need on a Debian machine with no
# public container registry: PostgreSQL, dockerd, a local registry on 127.0.0.1, and the
# images the pipelines use, built from Debian packages with debootstrap.
# Where PostgreSQL or Docker already run, they are used as they are. A second run takes seconds.
set -euo pipefail

LAB_DIR=${SLIPWAY_LAB_DIR:-/var/lib/slipway-lab}
REGISTRY_ADDR=${SLIPWAY_LAB_REGISTRY:-127.0.0.1:5000}
PG_USER=slipway
PG_PASSWORD=slipway
DEBIAN_MIRROR=${SLIPWAY_LAB_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm

log() { printf '[lab] %s\n' "$*" >&2; }
need_root() { [ "$(id -u)" = 0 ] || { log "must run as root (apt-get, dockerd)"; exit 1; }; }

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local seconds=$1 what=$2; shift 2
  for _ in $(seq 1 $((seconds * 4))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.25
  done
  log "$what did not come up within ${seconds}s"; return 1
}

install_packages() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v docker-registry >/dev/null || missing+=(docker-registry)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  # pg_ctlcluster can be there with only the client; the server binary is what counts.
  compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || missing+=(postgresql)
  command -v curl >/dev/null || missing+=(curl)
  command -v git >/dev/null || missing+=(git)
  # The tests make registry token-signing certificates as an operator would.
  command -v openssl >/dev/null || missing+=(openssl)
  # The web UI tests drive Debian's Chromium (no browser download works here), with a font to render.
  command -v chromium >/dev/null || missing+=(chromium fonts-dejavu-core)
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

start_postgres() {
  local version cluster
  read -r version cluster _ < <(pg_lsclusters -h | head -n 1)
  if [ -z "${version:-}" ]; then
    version=$(basename "$(dirname "$(dirname "$(compgen -G '/usr/lib/postgresql/*/bin/postgres' | sort -V | tail -n 1)")")")
    cluster=main
    pg_createcluster "$version" "$cluster" >/dev/null
  fi
  if ! pg_lsclusters -h | awk -v v="$version" -v c="$cluster" '$1==v && $2==c {print $4}' | grep -q online; then
    log "starting PostgreSQL $version/$cluster"
    pg_ctlcluster "$version" "$cluster" start
  fi
  wait_for 30 PostgreSQL su postgres -c "psql -qAtc 'select 1'"
  su postgres -c "psql -qAt" >/dev/null <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_USER') THEN
    CREATE ROLE $PG_USER LOGIN SUPERUSER PASSWORD '$PG_PASSWORD';
  END IF;
END \$\$;
SQL
  if ! su postgres -c "psql -qAtc \"select 1 from pg_database where datname='$PG_USER'\"" | grep -q 1; then
    su postgres -c "createdb -O $PG_USER $PG_USER"
  fi
}

start_dockerd() {
  if docker info >/dev/null 2>&1; then return 0; fi
  log "starting dockerd (--bridge=none --iptables=false)"
  mkdir -p "$LAB_DIR"
  # Only loopback networking exists here, so no bridge and no NAT rules.
  setsid nohup dockerd --bridge=none --iptables=false --ip6tables=false \
    >"$LAB_DIR/dockerd.log" 2>&1 </dev/null &
  wait_for 60 dockerd docker info || { tail -n 20 "$LAB_DIR/dockerd.log" >&2; exit 1; }
}

start_registry() {
  if curl -fsS "http://$REGISTRY_ADDR/v2/" >/dev/null 2>&1; then return 0; fi
  log "starting docker-registry on $REGISTRY_ADDR"
  mkdir -p "$LAB_DIR/registry"
  cat >"$LAB_DIR/registry.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $LAB_DIR/registry
  delete:
    enabled: true
http:
  addr: $REGISTRY_ADDR
YAML
  setsid nohup docker-registry serve "$LAB_DIR/registry.yml" \
    >"$LAB_DIR/registry.log" 2>&1 </dev/null &
  wait_for 30 docker-registry curl -fsS "http://$REGISTRY_ADDR/v2/" || { tail -n 20 "$LAB_DIR/registry.log" >&2; exit 1; }
}

in_registry() { # in_registry REPO TAG
  curl -fs -o /dev/null -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$REGISTRY_ADDR/v2/$1/manifests/$2"
}

# rootfs NAME PACKAGES VERSION: a debootstrapped tree, kept as a tarball so later runs skip debootstrap.
rootfs() {
  local name=$1 packages=$2 tarball="$LAB_DIR/rootfs/$1-$3.tar"
  if [ ! -s "$tarball" ]; then
    local dir="$LAB_DIR/rootfs/$name.d"
    rm -rf "$dir"; mkdir -p "$dir"
    if declare -F "build_$name" >/dev/null; then
      "build_$name" "$dir" "$packages"
    else
      log "debootstrapping $name ($packages); this takes about a minute"
      debootstrap --variant=minbase --include="$packages" "$SUITE" "$dir" "$DEBIAN_MIRROR" >"$LAB_DIR/debootstrap-$name.log" 2>&1 \
        || { tail -n 20 "$LAB_DIR/debootstrap-$name.log" >&2; exit 1; }
    fi
    customise_"$name" "$dir"
    rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
    tar -C "$dir" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$dir"
  fi
  echo "$tarball"
}

# A 2 MB busybox:latest (Debian's static build with its applets linked), for the tests whose job
# image is beside the point: a fresh daemon pulls it in a moment, where the python stand-in takes seconds.
build_busybox() {
  local dir=$1 package=$2 debs
  debs=$(mktemp -d)
  ( cd "$debs" && { apt-get download -qq "$package" 2>/dev/null || { apt-get update -qq && apt-get download -qq "$package"; }; } ) >/dev/null 2>&1 \
    || { log "could not download $package"; exit 1; }
  dpkg-deb -x "$debs"/*.deb "$debs/x"
  mkdir -p "$dir/bin" "$dir/usr/bin" "$dir/sbin" "$dir/usr/sbin" "$dir/etc" "$dir/root" "$dir/tmp"
  cp "$debs/x/bin/busybox" "$dir/bin/busybox"
  rm -rf "$debs"
  local applet
  for applet in $("$dir/bin/busybox" --list-full); do
    [ -e "$dir/$applet" ] || ln -s /bin/busybox "$dir/$applet"
  done
  chmod 1777 "$dir/tmp"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$dir/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$dir/etc/group"
}

customise_busybox() { :; }

# docker:latest as jobs use it (`image: docker` beside `services: [docker:dind]`): the host's
# docker CLI and the C library it links on busybox, 50 MB where the full daemon image is 500.
# The pipeline's own daemon stands for docker:dind, so no job needs dockerd from this image.
build_docker_cli() {
  build_busybox "$1" "$2"
  local file
  for file in /usr/bin/docker $(ldd /usr/bin/docker | grep -o '/[^ ]*'); do
    cp -L --parents "$file" "$1"
  done
}

customise_docker_cli() { :; }

customise_python() {
  # Debian's pip refuses system installs (PEP 668); the official image has no such marker.
  rm -f "$1"/usr/lib/python3*/EXTERNALLY-MANAGED
  # Pulled into most pipelines' fresh daemons: translations and manuals are a quarter of it.
  rm -rf "$1"/usr/share/locale "$1"/usr/share/doc "$1"/usr/share/man "$1"/usr/share/info
  ln -sf python3 "$1/usr/bin/python"
  ln -sf pip3 "$1/usr/bin/pip" 2>/dev/null || true
}

customise_postgres() {
  # The cluster Debian's package makes is not used: the entrypoint makes one from POSTGRES_* at start.
  rm -rf "$1"/var/lib/postgresql/*/main "$1"/etc/postgresql/*/main
  # Half the packages' size is LLVM for the optional JIT, docs and translations: a service
  # image pulled into every pipeline's fresh daemon is better without them.
  rm -rf "$1"/usr/lib/x86_64-linux-gnu/libLLVM* "$1"/usr/lib/x86_64-linux-gnu/libz3.so* \
    "$1"/usr/lib/postgresql/*/lib/llvmjit* "$1"/usr/lib/postgresql/*/lib/bitcode \
    "$1"/usr/share/locale "$1"/usr/share/doc "$1"/usr/share/man "$1"/usr/share/i18n
  cat >"$1/usr/local/bin/docker-entrypoint.sh" <<'SH'
#!/bin/sh
# What the official postgres image's entrypoint does with POSTGRES_USER (default postgres),
# POSTGRES_PASSWORD, POSTGRES_DB (default: the user's name) and POSTGRES_HOST_AUTH_METHOD.
# Like it, the server listens on TCP only once the database is made, so an open port means ready.
set -e
BIN=$(echo /usr/lib/postgresql/*/bin)
PGDATA=${PGDATA:-/var/lib/postgresql/data}
if [ "${1#-}" != "$1" ]; then set -- postgres "$@"; fi
if [ "$1" = postgres ] && [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown -R postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi
if [ "$1" != postgres ]; then exec "$@"; fi
shift
user=${POSTGRES_USER:-postgres}
db=${POSTGRES_DB:-$user}
auth=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$auth" != trust ]; then
    echo 'Error: Database is uninitialized and superuser password is not specified.' >&2
    echo '       Set POSTGRES_PASSWORD to a non-empty value, or POSTGRES_HOST_AUTH_METHOD=trust.' >&2
    exit 1
  fi
  pwfile=$(mktemp)
  printf '%s\n' "${POSTGRES_PASSWORD:-}" >"$pwfile"
  if [ -n "${POSTGRES_PASSWORD:-}" ]; then pwopt="--pwfile=$pwfile"; else pwopt=; fi
  "$BIN/initdb" -D "$PGDATA" -U "$user" $pwopt --auth-local=trust --auth-host="$auth" >/dev/null
  rm -f "$pwfile"
  echo "host all all all $auth" >>"$PGDATA/pg_hba.conf"
  if [ "$db" != postgres ]; then
    "$BIN/pg_ctl" -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
    "$BIN/psql" -q -v ON_ERROR_STOP=1 -U "$user" -d postgres -c "CREATE DATABASE \"$db\""
    "$BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null
  fi
  echo 'PostgreSQL init process complete; ready for start up.'
fi
exec "$BIN/postgres" -D "$PGDATA" -c listen_addresses='*' "$@"
SH
  chmod +x "$1/usr/local/bin/docker-entrypoint.sh"
}

customise_redis() {
  rm -rf "$1"/usr/share/locale "$1"/usr/share/doc "$1"/usr/share/man "$1"/usr/share/i18n
}

customise_docker() {
  # Like the official docker:dind entrypoint: flags as arguments mean "run dockerd with these".
  cat >"$1/usr/local/bin/dockerd-entrypoint.sh" <<'SH'
#!/bin/sh
set -e
if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then
  set -- dockerd "$@"
fi
exec "$@"
SH
  chmod +x "$1/usr/local/bin/dockerd-entrypoint.sh"
}

# image REPO TAG[,TAG...] ROOTFS_NAME PACKAGES IMPORT_CHANGES...
# A `lab-<hash>` tag records what the image was made from: change the packages, the changes or
# the customisation, and the next run makes it again.
image() {
  local repo=$1 tags=$2 name=$3 packages=$4; shift 4
  local version
  version=$(printf '%s\n' "$packages" "$@" "$(declare -f "customise_$name" "build_$name" || true)" | sha256sum | cut -c1-12)
  tags="$tags,lab-$version"
  local first=${tags%%,*} tag missing=0
  for tag in ${tags//,/ }; do in_registry "$repo" "$tag" || missing=1; done
  [ $missing = 0 ] && return 0
  local tarball changes=()
  tarball=$(rootfs "$name" "$packages" "$version")
  for c in "$@"; do changes+=(--change "$c"); done
  log "importing $REGISTRY_ADDR/$repo:$tags"
  docker import "${changes[@]}" "$tarball" "$REGISTRY_ADDR/$repo:$first" >/dev/null
  for tag in ${tags//,/ }; do
    docker tag "$REGISTRY_ADDR/$repo:$first" "$REGISTRY_ADDR/$repo:$tag"
    docker push -q "$REGISTRY_ADDR/$repo:$tag" >/dev/null
  done
}

main() {
  need_root
  mkdir -p "$LAB_DIR/rootfs"
  install_packages
  start_postgres
  start_dockerd
  start_registry
  # Pushed under library/ so a daemon using this registry as a mirror resolves python:3.8-slim and docker:dind.
  image library/python 3.8-slim python python3,python3-pip,python3-tornado,python3-psycopg2,ca-certificates \
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' 'CMD ["python3"]'
  image library/busybox latest busybox busybox-static \
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' 'CMD ["sh"]'
  # Service stand-ins, answering to postgres:15 and redis:7 as the official images do.
  image library/postgres 15,latest postgres postgresql,postgresql-client \
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' 'ENV PGDATA=/var/lib/postgresql/data' \
    'ENTRYPOINT ["docker-entrypoint.sh"]' 'CMD ["postgres"]' 'EXPOSE 5432'
  image library/redis 7,latest redis redis-server \
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' 'CMD ["redis-server", "--protected-mode", "no"]' 'EXPOSE 6379'
  image library/docker latest docker_cli busybox-static \
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    "ENV DOCKER_VERSION=$(/usr/bin/docker version --format '{{.Client.Version}}')" 'CMD ["sh"]'
  image library/docker dind docker docker.io,ca-certificates,git \
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    'VOLUME /var/lib/docker' 'ENTRYPOINT ["dockerd-entrypoint.sh"]' 'CMD []'
  # Lines a shell can take as they are: eval "$(bash scripts/lab.sh)".
  cat <<ENV
export DOCKER_HOST=unix:///var/run/docker.sock
export DATABASE_URL=postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:5432/$PG_USER
export SLIPWAY_REGISTRY=$REGISTRY_ADDR
export SLIPWAY_REGISTRY_MIRROR=http://$REGISTRY_ADDR
export SLIPWAY_DIND_IMAGE=$REGISTRY_ADDR/library/docker:dind
ENV
  log "ready"
}

main "$@"
