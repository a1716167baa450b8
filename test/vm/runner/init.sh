#!/bin/sh
# /init of the podshim VM test guest (busybox sh). Built into the initramfs by
# run.js; the kernel runs it as PID 1 with nothing mounted.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb

finish () {
  # The host parses this line: it is the only way the result leaves the VM.
  echo
  echo "PODSHIM-VM-RESULT $1"
  sync
  poweroff -f
  sleep 5
  echo o > /proc/sysrq-trigger
}

if [ "${1:-}" != stage2 ]; then
  # Stage 1. The initramfs is the kernel's rootfs mount, which has no parent
  # mount, and pivot_root(2) refuses to move it (EINVAL): every container
  # start would fail. Bind the rootfs onto a directory of itself, move that
  # bind mount over / and chroot into it, as switch_root does (but without
  # deleting anything: both are the same files). Then / has a parent and
  # pivot_root works inside mount namespaces, as on a disk-booted machine.
  mount -n --bind / /newroot || { echo "init: bind / failed"; poweroff -f; }
  cd /newroot && mount -n --move . / && exec chroot . /init stage2
  echo "init: switching root failed"
  poweroff -f
fi

# Stage 2: the real setup.
mount -t proc -o nosuid,nodev,noexec proc /proc
mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
mount -t devtmpfs -o mode=0755,nosuid devtmpfs /dev
mkdir -p /dev/pts /dev/shm /dev/mqueue
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts /dev/pts
mount -t tmpfs -o mode=1777,nosuid,nodev shm /dev/shm
mount -t mqueue mqueue /dev/mqueue 2>/dev/null
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
# A pure cgroup v2 hierarchy: no v1 hierarchy is ever mounted (and the kernel
# command line has cgroup_no_v1=all), so every controller is on this one.
mount -t cgroup2 -o nosuid,nodev,noexec,nsdelegate cgroup2 /sys/fs/cgroup
# Hand every controller down from the root, as systemd does on a pure v2
# host: podshim enables controllers only in the cgroups it creates, never in
# the root (a controller the root keeps is reported as not enforced).
for c in $(cat /sys/fs/cgroup/cgroup.controllers); do
  echo "+$c" > /sys/fs/cgroup/cgroup.subtree_control || { echo "init: enable $c failed"; finish 125; }
done
# Only emergencies on the console, so kernel messages (an OOM kill report,
# for one) do not tear through the TAP stream. Failures dump dmesg below.
echo "1 4 1 7" > /proc/sys/kernel/printk

for ko in $(cat /etc/podshim-vm/modules); do
  insmod "$ko" || { echo "init: insmod $ko failed"; finish 125; }
done

# /tmp: the ext4 scratch disk the host made for this run (user xattrs, like
# a disk-backed /tmp), else tmpfs (PODSHIM_VM_DISK=0).
if [ -e /sys/block/vda ]; then
  i=0
  while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
  mount -t ext4 -o nosuid,nodev /dev/vda /tmp || { echo "init: mount /dev/vda on /tmp failed"; finish 125; }
  chmod 1777 /tmp
else
  mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp
fi

ip link set lo up
hostname podshim-vm
ln -sf /proc/self/fd /dev/fd 2>/dev/null
ln -sf /proc/mounts /etc/mtab 2>/dev/null

echo "podshim-vm: kernel $(uname -r), up $(cut -d' ' -f1 /proc/uptime)s," \
  "$(nproc) cpus, $(awk '/MemTotal/ {print int($2/1024)}' /proc/meminfo) MiB," \
  "/tmp on $(awk '$2 == "/tmp" {print $3}' /proc/mounts);" \
  "cgroup2 controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"

# run.sh is written by the host runner for this run (which tests, options).
cd /podshim
sh /etc/podshim-vm/run.sh
code=$?
if [ "$code" != 0 ]; then
  echo "podshim-vm: exit code $code; last kernel messages:"
  dmesg | tail -n 40
fi
finish "$code"
