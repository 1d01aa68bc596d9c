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

# rootfs NAME PACKAGES: a debootstrapped tree, kept as a tarball so later runs skip debootstrap.
rootfs() {
  local name=$1 packages=$2 tarball="$LAB_DIR/rootfs/$1.tar"
  if [ ! -s "$tarball" ]; then
    local dir="$LAB_DIR/rootfs/$name.d"
    log "debootstrapping $name ($packages); this takes about a minute"
    rm -rf "$dir"; mkdir -p "$dir"
    debootstrap --variant=minbase --include="$packages" "$SUITE" "$dir" "$DEBIAN_MIRROR" >"$LAB_DIR/debootstrap-$name.log" 2>&1 \
      || { tail -n 20 "$LAB_DIR/debootstrap-$name.log" >&2; exit 1; }
    customise_"$name" "$dir"
    rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
    tar -C "$dir" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$dir"
  fi
  echo "$tarball"
}

customise_python() {
  # Debian's pip refuses system installs (PEP 668); the official image has no such marker.
  rm -f "$1"/usr/lib/python3*/EXTERNALLY-MANAGED
  ln -sf python3 "$1/usr/bin/python"
  ln -sf pip3 "$1/usr/bin/pip" 2>/dev/null || true
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
image() {
  local repo=$1 tags=$2 name=$3 packages=$4; shift 4
  local first=${tags%%,*} tag missing=0
  for tag in ${tags//,/ }; do in_registry "$repo" "$tag" || missing=1; done
  [ $missing = 0 ] && return 0
  local tarball changes=()
  tarball=$(rootfs "$name" "$packages")
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
  image library/python 3.8-slim python python3,python3-pip,python3-tornado,ca-certificates \
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' 'CMD ["python3"]'
  image library/docker dind,latest docker docker.io,ca-certificates,git \
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    'VOLUME /var/lib/docker' 'ENTRYPOINT ["dockerd-entrypoint.sh"]' 'CMD []'
  cat <<ENV
DATABASE_URL=postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:5432/$PG_USER
SLIPWAY_REGISTRY=$REGISTRY_ADDR
SLIPWAY_REGISTRY_MIRROR=http://$REGISTRY_ADDR
SLIPWAY_DIND_IMAGE=$REGISTRY_ADDR/library/docker:dind
ENV
  log "ready"
}

main "$@"
