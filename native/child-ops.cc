/*
 * child-ops.cc: what each plan op does in the cloned child (spawn.cc), and
 * the fd and path helpers the ops share: resolving a path inside the
 * container's root (openat2 RESOLVE_IN_ROOT) and mounting through
 * /proc/self/fd/N, keeping the executor's own fds out of the plan's way.
 *
 * Constraint: the whole file is spawn.cc's async-signal-safe zone carried
 * on: it runs in a clone of a multithreaded process, often on the
 * supervisor's own memory, so raw syscalls and stack memory only: no
 * malloc, no locks, no exceptions, no printf.
 *
 * Man pages: openat2(2), mount(2), move_mount(2), mount_setattr(2),
 * mknodat(2), pivot_root(2), close_range(2), capabilities(7),
 * prctl(2) PR_SET_PDEATHSIG, netdevice(7).
 */
#include "child-ops.h"
/* Debian 12's headers predate move_mount(2) (Linux 5.2) */
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef MOVE_MOUNT_T_EMPTY_PATH
#define MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#endif

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <linux/mount.h> /* struct mount_attr, MOUNT_ATTR_RDONLY (Linux 5.12 headers) */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ===================== BEGIN async-signal-safe section (the whole file) ===================== */

/* Move fd above `floor`, keeping O_CLOEXEC, so a Dup2 op cannot overwrite it. */
int child_move_fd_above(int fd, int floor) {
  if (fd < 0 || fd > floor) return fd;
  int moved = fcntl(fd, F_DUPFD_CLOEXEC, floor + 1);
  if (moved < 0) return -1;
  syscall(SYS_close, fd);
  return moved;
}

namespace {

/* close_range(2) over [first, ~0U] minus the executor's fds (Linux 5.9; else a loop). */
int child_close_from(unsigned int first, const struct executor_fds *fds) {
  int keep[2] = {fds->error_fd, fds->parent_fd};
  if (keep[0] > keep[1]) {
    int t = keep[0];
    keep[0] = keep[1];
    keep[1] = t;
  }
  unsigned int from = first;
  for (int i = 0; i < 2; i++) {
    if (keep[i] < 0 || (unsigned int)keep[i] < from) continue;
    if ((unsigned int)keep[i] > from) {
      if (syscall(SYS_close_range, from, (unsigned int)keep[i] - 1, 0) < 0) goto fallback;
    }
    from = (unsigned int)keep[i] + 1;
  }
  if (syscall(SYS_close_range, from, ~0U, 0) < 0) goto fallback;
  return 0;
fallback:
  if (errno != ENOSYS) return -1;
  {
    struct rlimit limit;
    if (syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, nullptr, &limit) < 0) return -1;
    for (unsigned int fd = first; fd < limit.rlim_cur; fd++) {
      if ((int)fd != fds->error_fd && (int)fd != fds->parent_fd) syscall(SYS_close, fd);
    }
  }
  return 0;
}

/* The part of path below the root, with its leading '/', or nullptr where path is not below it. */
const char *child_below_root(const struct executor_fds *fds, const char *path) {
  if (fds->root_fd < 0 || path == nullptr) return nullptr;
  for (size_t i = 0; i < fds->root_len; i++) {
    if (path[i] != fds->root_path[i]) return nullptr;
  }
  return path[fds->root_len] == '/' ? path + fds->root_len : nullptr;
}

/* openat2 of a path below the root, resolved inside it. */
int child_open_in_root(const struct executor_fds *fds, const char *inside, uint64_t flags) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = flags | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  return (int)syscall(SYS_openat2, fds->root_fd, inside, &how, sizeof how);
}

/* "/proc/self/fd/N": a path mount(2) follows to what fd is open on. */
void child_fd_path(char *buffer, int fd) {
  static const char prefix[] = "/proc/self/fd/";
  memcpy(buffer, prefix, sizeof prefix - 1);
  char digits[12];
  int n = 0;
  do {
    digits[n++] = (char)('0' + fd % 10);
    fd /= 10;
  } while (fd > 0);
  char *out = buffer + sizeof prefix - 1;
  while (n > 0) *out++ = digits[--n];
  *out = '\0';
}

/* A path for a syscall that takes one: below the root, the proc path of it resolved inside (fd to close after). */
struct child_path {
  const char *path;
  int fd;
  char buffer[32];
};

int child_path_open(const struct executor_fds *fds, const char *path, struct child_path *out) {
  out->path = path;
  out->fd = -1;
  const char *inside = child_below_root(fds, path);
  if (inside == nullptr) return 0;
  out->fd = child_open_in_root(fds, inside, O_PATH);
  if (out->fd < 0) return -1;
  child_fd_path(out->buffer, out->fd);
  out->path = out->buffer;
  return 0;
}

/* close(2) of an fd the step opened, keeping the errno of the step's own failure; a negative fd is skipped. */
void child_close_keeping_errno(int fd) {
  if (fd < 0) return;
  int err = errno;
  syscall(SYS_close, fd);
  errno = err;
}

/*
 * The directory holding path's last component and that component, for the
 * *at() calls: below the root, its parent resolved inside the root; elsewhere
 * AT_FDCWD and the path itself. Returns the directory fd (AT_FDCWD or one to
 * close), or -1 with errno set.
 */
int child_parent_open(const struct executor_fds *fds, const char *path, const char **name) {
  *name = path;
  const char *inside = child_below_root(fds, path);
  if (inside == nullptr) return AT_FDCWD;
  const char *slash = inside;
  for (const char *c = inside; *c != '\0'; c++) {
    if (*c == '/') slash = c;
  }
  const char *last = slash + 1;
  if (last[0] == '\0' || (last[0] == '.' && (last[1] == '\0' || (last[1] == '.' && last[2] == '\0')))) {
    errno = EINVAL;
    return -1;
  }
  char parent[PATH_MAX];
  size_t len = (size_t)(slash - inside);
  if (len + 2 > sizeof parent) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(parent, inside, len);
  if (len == 0) parent[len++] = '/';
  parent[len] = '\0';
  *name = last;
  return child_open_in_root(fds, parent, O_PATH | O_DIRECTORY);
}

/*
 * A bind remount sets every per-mount flag anew: keep the nosuid, nodev,
 * noexec and atime flags the mount already has, as runc does, so that making
 * a mount read-only never also lets device nodes or setuid binaries work on it.
 */
unsigned long child_kept_mount_flags(const char *target) {
  struct statfs st;
  if (syscall(SYS_statfs, target, &st) < 0) return 0;
  unsigned long kept = 0;
  if (st.f_flags & ST_NOSUID) kept |= MS_NOSUID;
  if (st.f_flags & ST_NODEV) kept |= MS_NODEV;
  if (st.f_flags & ST_NOEXEC) kept |= MS_NOEXEC;
  if (st.f_flags & ST_NOATIME) kept |= MS_NOATIME;
  if (st.f_flags & ST_NODIRATIME) kept |= MS_NODIRATIME;
  if (st.f_flags & ST_RELATIME) kept |= MS_RELATIME;
  return kept;
}

int child_mount(const struct plan_op *op, const struct executor_fds *fds) {
  struct child_path source, target;
  /* a source below the root is a path of the container's too (a read-only bind of itself) */
  if (child_path_open(fds, op->str_a, &source) < 0) return -1;
  if (child_path_open(fds, op->str_b, &target) < 0) {
    child_close_keeping_errno(source.fd);
    return -1;
  }
  unsigned long flags = op->flags;
  int rc = 0;
  bool is_done = false;
  const unsigned long recursive_read_only = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC;
  if ((flags & recursive_read_only) == recursive_read_only) {
    /* mount(2) ignores MS_REC on a remount: mount_setattr(2) makes the mounts below read-only too, changing
     * nothing else (Linux 5.12; before it, only the top one becomes read-only) */
    struct mount_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.attr_set = MOUNT_ATTR_RDONLY;
    rc = (int)syscall(SYS_mount_setattr, AT_FDCWD, target.path, AT_RECURSIVE, &attr, sizeof attr);
    is_done = rc == 0 || errno != ENOSYS;
    flags &= ~(unsigned long)MS_REC;
  }
  if (!is_done) {
    if ((flags & (MS_BIND | MS_REMOUNT)) == (MS_BIND | MS_REMOUNT)) flags |= child_kept_mount_flags(target.path);
    rc = (int)syscall(SYS_mount, source.path, target.path, op->str_c, flags, op->str_d);
  }
  child_close_keeping_errno(source.fd);
  child_close_keeping_errno(target.fd);
  return rc;
}

int child_mkdir(const struct plan_op *op, const struct executor_fds *fds) {
  const char *name;
  int dir_fd = child_parent_open(fds, op->str_a, &name);
  if (dir_fd == -1) return -1;
  int rc = (int)syscall(SYS_mkdirat, dir_fd, name, op->num_a);
  if (rc < 0 && errno == EEXIST) rc = 0;
  child_close_keeping_errno(dir_fd);
  return rc;
}

/* An empty file to bind a file on; an existing one (a symlink below the root: resolved inside it) is fine. */
int child_touch(const struct plan_op *op, const struct executor_fds *fds) {
  const char *inside = child_below_root(fds, op->str_a);
  if (inside != nullptr) {
    int existing = child_open_in_root(fds, inside, O_PATH);
    if (existing >= 0) return (int)syscall(SYS_close, existing);
    if (errno != ENOENT) return -1;
  }
  const char *name;
  int dir_fd = child_parent_open(fds, op->str_a, &name);
  if (dir_fd == -1) return -1;
  /* O_RDONLY: an existing file on a read-only mount is fine as a bind target. O_NOFOLLOW below the root: a
   * dangling symlink there would be followed from the host's root. */
  int flags = O_RDONLY | O_CREAT | O_CLOEXEC | O_NOCTTY | (inside != nullptr ? O_NOFOLLOW : 0);
  int fd = (int)syscall(SYS_openat, dir_fd, name, flags, op->num_a);
  child_close_keeping_errno(dir_fd);
  if (fd < 0) return -1;
  return (int)syscall(SYS_close, fd);
}

int child_symlink(const struct plan_op *op, const struct executor_fds *fds) {
  const char *name;
  int dir_fd = child_parent_open(fds, op->str_b, &name);
  if (dir_fd == -1) return -1;
  int rc = (int)syscall(SYS_symlinkat, op->str_a, dir_fd, name);
  if (rc < 0 && errno == EEXIST) rc = 0;
  child_close_keeping_errno(dir_fd);
  return rc;
}

/* attach a tree the parent detached with open_tree(OPEN_TREE_CLONE): a bind from an fd of another mount
 * namespace, which mount(MS_BIND) refuses (Linux 5.2, move_mount(2)) */
int child_move_mount(const struct plan_op *op, const struct executor_fds *fds) {
  const char *inside = child_below_root(fds, op->str_a);
  if (inside == nullptr) {
    return (int)syscall(SYS_move_mount, op->num_a, "", AT_FDCWD, op->str_a, MOVE_MOUNT_F_EMPTY_PATH);
  }
  int target = child_open_in_root(fds, inside, O_PATH);
  if (target < 0) return -1;
  int rc = (int)syscall(SYS_move_mount, op->num_a, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
  child_close_keeping_errno(target);
  return rc;
}

int child_open_root(const struct plan_op *op, struct executor_fds *fds, int floor) {
  int fd = (int)syscall(SYS_openat, AT_FDCWD, op->str_a, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -1;
  fd = child_move_fd_above(fd, floor);
  if (fd < 0) return -1;
  size_t len = 0;
  while (op->str_a[len] != '\0') len++;
  while (len > 1 && op->str_a[len - 1] == '/') len--;
  fds->root_fd = fd;
  fds->root_path = op->str_a;
  fds->root_len = len;
  return 0;
}

/*
 * A device node with exactly the mode and owner asked (mknod applies the
 * umask; fchmodat does not). fchmodat and fchownat find the node by name
 * again: nothing else runs in this new mount namespace yet to swap it.
 */
int child_mknod(const struct plan_op *op, const struct executor_fds *fds) {
  const char *name;
  int dir_fd = child_parent_open(fds, op->str_a, &name);
  if (dir_fd == -1) return -1;
  int rc = (int)syscall(SYS_mknodat, dir_fd, name, (mode_t)op->num_a, (dev_t)op->flags);
  if (rc == 0) rc = (int)syscall(SYS_fchmodat, dir_fd, name, (mode_t)op->num_a & 07777);
  if (rc == 0) rc = (int)syscall(SYS_fchownat, dir_fd, name, op->num_b, op->num_c, AT_SYMLINK_NOFOLLOW);
  child_close_keeping_errno(dir_fd);
  return rc;
}

/* An O_PATH fd of op->str_a (resolved inside the root below it) as fd op->num_b, kept across execve. */
int child_open_path(const struct plan_op *op, const struct executor_fds *fds) {
  const char *inside = child_below_root(fds, op->str_a);
  int fd = inside != nullptr ? child_open_in_root(fds, inside, O_PATH)
                             : (int)syscall(SYS_openat, AT_FDCWD, op->str_a, O_PATH | O_CLOEXEC);
  if (fd < 0) return -1;
  if (fd == op->num_b) return fcntl(fd, F_SETFD, 0);
  int rc = (int)syscall(SYS_dup3, fd, op->num_b, 0);
  child_close_keeping_errno(fd);
  return rc;
}

int child_pivot_root(const char *path) {
  if (syscall(SYS_chdir, path) < 0) return -1;
  if (syscall(SYS_pivot_root, ".", ".") < 0) return -1;
  if (syscall(SYS_umount2, ".", MNT_DETACH) < 0) return -1;
  return (int)syscall(SYS_chdir, "/");
}

int child_loopback_up(void) {
  int sock = (int)syscall(SYS_socket, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return -1;
  struct ifreq request;
  memset(&request, 0, sizeof request);
  request.ifr_name[0] = 'l';
  request.ifr_name[1] = 'o';
  int rc = (int)syscall(SYS_ioctl, sock, SIOCGIFFLAGS, &request);
  if (rc == 0) {
    request.ifr_flags |= IFF_UP;
    rc = (int)syscall(SYS_ioctl, sock, SIOCSIFFLAGS, &request);
  }
  child_close_keeping_errno(sock);
  return rc;
}

int child_write_file(const char *path, const char *data, size_t len) {
  int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return -1;
  while (len > 0) {
    ssize_t n = syscall(SYS_write, fd, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      child_close_keeping_errno(fd);
      return -1;
    }
    data += n;
    len -= (size_t)n;
  }
  return (int)syscall(SYS_close, fd);
}

/*
 * PR_SET_PDEATHSIG, then make sure the parent did not die before it took
 * effect. A catchable signal is blocked first: one sent before the program
 * installs its handler stays pending across execve, for the program to take
 * when it unblocks it (pause's SIGUSR2), instead of killing it.
 */
int child_pdeathsig(const struct plan_op *op, const struct executor_fds *fds) {
  if (op->num_a != SIGKILL && op->num_a > 0 && op->num_a <= 64) {
    uint64_t mask = 1ULL << (op->num_a - 1); /* the kernel's sigset_t: bit signo - 1 */
    if (syscall(SYS_rt_sigprocmask, SIG_BLOCK, &mask, nullptr, sizeof mask) < 0) return -1;
  }
  if (syscall(SYS_prctl, PR_SET_PDEATHSIG, (unsigned long)op->num_a, 0, 0, 0) < 0) return -1;
  if (op->num_b != 0 && syscall(SYS_getppid) != op->num_b) syscall(SYS_exit_group, 127);
  if (fds->parent_fd >= 0) {
    /* A pidfd polls readable once its process has exited: works across PID namespaces,
     * where getppid() returns 0. */
    struct pollfd parent = {fds->parent_fd, POLLIN, 0};
    if (syscall(SYS_poll, &parent, 1, 0) > 0 && (parent.revents & POLLIN)) syscall(SYS_exit_group, 127);
  }
  return 0;
}

/*
 * Keep only op->flags' capabilities in the bounding set (before the ids
 * change: dropping needs CAP_SETPCAP), and none inheritable or ambient, so
 * that execve gives root exactly the bounding set and any other user none.
 * The permitted and effective sets stay whole until then: the plan's later
 * steps (setresuid, chdir) may need them.
 */
int child_capabilities(const struct plan_op *op) {
  for (int cap = 0; cap <= op->num_a; cap++) {
    if ((op->flags >> cap) & 1UL) continue;
    if (syscall(SYS_prctl, PR_CAPBSET_DROP, (unsigned long)cap, 0, 0, 0) < 0) return -1;
  }
  if (syscall(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) return -1;
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  if (syscall(SYS_capget, &header, data) < 0) return -1;
  data[0].inheritable = 0;
  data[1].inheritable = 0;
  if (syscall(SYS_capset, &header, data) < 0) return -1;
  if (op->num_b != 0 && syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) return -1;
  return 0;
}

int child_set_ids(const struct plan_op *op) {
  if (syscall(SYS_setgroups, op->len, op->groups) < 0) return -1;
  if (syscall(SYS_setresgid, op->num_b, op->num_b, op->num_b) < 0) return -1;
  return (int)syscall(SYS_setresuid, op->num_a, op->num_a, op->num_a);
}

/*
 * chdir(2), then refuse a cwd outside the root: a leaked fd to a host
 * directory (/proc/self/fd/N) would otherwise hand the container the host's
 * tree (runc CVE-2024-21626). getcwd(2) marks such a cwd "(unreachable)".
 */
int child_chdir(const char *path) {
  if (syscall(SYS_chdir, path) < 0) return -1;
  char cwd[PATH_MAX];
  if (syscall(SYS_getcwd, cwd, sizeof cwd) < 0) return -1;
  if (cwd[0] != '/') {
    errno = ENOENT;
    return -1;
  }
  return 0;
}

int child_dup2(int fd, int target) {
  /* dup3 refuses fd == target; there the plan means "keep this fd across exec". */
  if (fd == target) return fcntl(fd, F_SETFD, 0);
  return (int)syscall(SYS_dup3, fd, target, 0);
}

}  // namespace

int child_run_op(const struct plan_op *op, struct executor_fds *fds, int floor) {
  switch (op->code) {
    case PLAN_OP_SETNS:
      return (int)syscall(SYS_setns, op->num_a, op->num_b);
    case PLAN_OP_MOUNT:
      return child_mount(op, fds);
    case PLAN_OP_MKDIR:
      return child_mkdir(op, fds);
    case PLAN_OP_TOUCH:
      return child_touch(op, fds);
    case PLAN_OP_MOVE_MOUNT:
      return child_move_mount(op, fds);
    case PLAN_OP_SYMLINK:
      return child_symlink(op, fds);
    case PLAN_OP_OPEN_ROOT:
      return child_open_root(op, fds, floor);
    case PLAN_OP_OPEN_PATH:
      return child_open_path(op, fds);
    case PLAN_OP_MKNOD:
      return child_mknod(op, fds);
    case PLAN_OP_PIVOT_ROOT:
      return child_pivot_root(op->str_a);
    case PLAN_OP_SETHOSTNAME:
      return (int)syscall(SYS_sethostname, op->str_a, op->len);
    case PLAN_OP_LOOPBACK_UP:
      return child_loopback_up();
    case PLAN_OP_DUP2:
      return child_dup2(op->num_a, op->num_b);
    case PLAN_OP_CLOSE_FROM:
      return child_close_from((unsigned int)op->num_a, fds);
    case PLAN_OP_CHDIR:
      return child_chdir(op->str_a);
    case PLAN_OP_SET_IDS:
      return child_set_ids(op);
    case PLAN_OP_CAPABILITIES:
      return child_capabilities(op);
    case PLAN_OP_PDEATHSIG:
      return child_pdeathsig(op, fds);
    case PLAN_OP_WRITE_FILE:
      return child_write_file(op->str_a, op->str_b, op->len);
    case PLAN_OP_SETSID:
      return syscall(SYS_setsid) < 0 ? -1 : 0;
    case PLAN_OP_EXECVE:
      return (int)syscall(SYS_execve, op->str_a, op->argv, op->envp);
    default:
      errno = EINVAL;
      return -1;
  }
}

/* ====================== END async-signal-safe section ====================== */
