/*
 * pause.c: the pod's PID 1. Holds the pod's namespaces, reaps orphans and
 * exits 0 on SIGINT/SIGTERM, with Kubernetes' pause semantics (-v, the PID
 * warning, exit codes 1-3 when a handler cannot be installed; 4 for
 * podshim's SIGUSR2 below).
 *
 * podshim addition: when fd 3 is open (a pipe from the supervisor), every
 * reap is reported on it as one line, "reap <pid> exited <code>" or
 * "reap <pid> signaled <signo>", so the supervisor can show reaping as
 * events. The lines are formatted by hand in the handler (no printf there:
 * async-signal-safe calls only); fd 3 is non-blocking, so a supervisor that
 * stops reading costs lines, never a stuck init.
 *
 * podshim addition: when fd 5 is an O_PATH fd on a tmpfs (the pod's shared
 * /dev/shm, which podshim mounts in pause's own process just before it
 * execs pause, so the supervisor needs no mount call of its own), pause
 * unmounts that mount as it shuts down, through /proc/self/fd/5, from the
 * signal handler: umount2 is not on signal-safety(7)'s list, but glibc's
 * is a bare system call (no lock, no allocation), as safe there as
 * write(2). A pause that is killed leaves it mounted; the supervisor
 * unmounts it then. An fd rather than an argument keeps pause's command
 * line the plain "/pause" that a pod's processes see in Kubernetes.
 *
 * podshim addition: when fd 4 is a write-only fd on cgroup2 (the pod
 * cgroup's cgroup.kill, which podshim hands over in hostPID pods, where no
 * PID namespace ends with pause), SIGUSR2 writes "1" to it: the kernel
 * kills every process in the pod's cgroup tree, pause included. podshim
 * makes SIGUSR2 pause's parent-death signal there, so the processes the
 * containers started do not outlive a supervisor killed with SIGKILL.
 *
 * The fds are checked (access mode, file system, the mount's root, the
 * file's name) so that one pause merely inherited is never taken for them.
 * podshim's spawn keeps SIGUSR2 blocked from PR_SET_PDEATHSIG until pause
 * has its handler (and unblocks it): a supervisor that dies in between
 * leaves it pending, not fatal.
 *
 * Built -static and small: it must cost next to nothing per pod, so it
 * writes with write(2) alone and pulls no stdio into the binary.
 * Man pages: pid_namespaces(7), sigaction(2), waitpid(2), umount2(2),
 * statfs(2), PR_SET_PDEATHSIG in prctl(2); cgroup.kill in the kernel's
 * Documentation/admin-guide/cgroup-v2.rst.
 */
#define _GNU_SOURCE /* O_PATH */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h> /* statx */
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

/* binding.gyp passes podshim's package version, e.g. -DPODSHIM_VERSION=0.1.0 */
#define PAUSE_STRINGIFY_(x) #x
#define PAUSE_STRINGIFY(x) PAUSE_STRINGIFY_(x)
#ifdef PODSHIM_VERSION
#define PAUSE_VERSION "podshim-" PAUSE_STRINGIFY(PODSHIM_VERSION)
#else
#define PAUSE_VERSION "podshim"
#endif

#define PAUSE_REPORT_FD 3
#define PAUSE_KILL_FD 4
#define PAUSE_UNMOUNT_FD 5

static volatile sig_atomic_t pause_report_fd = -1;
static int pause_unmount = 0;

/* Append the decimal form of value to out; returns the new end. */
static char *pause_format_int(char *out, int value) {
  char digits[12];
  int n = 0;
  unsigned int magnitude = value < 0 ? 0u - (unsigned int)value : (unsigned int)value;
  do {
    digits[n++] = (char)('0' + magnitude % 10);
    magnitude /= 10;
  } while (magnitude > 0);
  if (value < 0) *out++ = '-';
  while (n > 0) *out++ = digits[--n];
  return out;
}

static char *pause_append(char *out, const char *text) {
  while (*text) *out++ = *text++;
  return out;
}

static void pause_write(int fd, const char *text, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, text, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text += n;
    len -= (size_t)n;
  }
}

static void pause_write_text(int fd, const char *text) {
  pause_write(fd, text, strlen(text));
}

static void pause_report(pid_t pid, int status) {
  int fd = pause_report_fd;
  if (fd < 0) return;
  char line[64];
  char *end = pause_append(line, "reap ");
  end = pause_format_int(end, (int)pid);
  if (WIFSIGNALED(status)) {
    end = pause_append(end, " signaled ");
    end = pause_format_int(end, WTERMSIG(status));
  } else {
    end = pause_append(end, " exited ");
    end = pause_format_int(end, WEXITSTATUS(status));
  }
  *end++ = '\n';
  ssize_t written;
  do {
    written = write(fd, line, (size_t)(end - line));
  } while (written < 0 && errno == EINTR);
  if (written < 0 && errno != EAGAIN) pause_report_fd = -1; /* the reader is gone (EPIPE) */
}

static void pause_on_child(int signo) {
  (void)signo;
  int saved_errno = errno;
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) pause_report(pid, status);
  errno = saved_errno;
}

/* As psignal(3) would print it, without stdio. */
static void pause_on_shutdown(int signo) {
  pause_write_text(STDERR_FILENO, signo == SIGINT ? "Shutting down, got signal: Interrupt\n"
                                                  : "Shutting down, got signal: Terminated\n");
  if (pause_unmount) umount2("/proc/self/fd/5", MNT_DETACH);
  _exit(0);
}

/* The supervisor died (parent-death signal): kill the pod's cgroup tree, pause with it. */
static void pause_on_parent_death(int signo) {
  (void)signo;
  if (pause_unmount) umount2("/proc/self/fd/5", MNT_DETACH);
  pause_write(PAUSE_KILL_FD, "1", 1);
  _exit(0);
}

/* Whether fd is open; if so, it is made close-on-exec. */
static int pause_take_fd(int fd) {
  return fcntl(fd, F_SETFD, FD_CLOEXEC) == 0;
}

/*
 * Whether fd is what podshim hands over there, not an fd pause happened to
 * inherit: open with exactly the access mode given, on a file system of
 * the magic given.
 */
static int pause_fd_is(int fd, int access, long magic) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || (flags & (O_PATH | O_ACCMODE)) != access) return 0;
  struct statfs fs;
  return fstatfs(fd, &fs) == 0 && (long)fs.f_type == magic;
}

/* fd 5: an O_PATH fd of the root of a tmpfs mount. */
static int pause_take_unmount_fd(void) {
  if (!pause_fd_is(PAUSE_UNMOUNT_FD, O_PATH, TMPFS_MAGIC)) return 0;
  struct statx stx;
  if (statx(PAUSE_UNMOUNT_FD, "", AT_EMPTY_PATH, 0, &stx) < 0) return 0;
  if (!(stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) || !(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT)) return 0;
  return pause_take_fd(PAUSE_UNMOUNT_FD);
}

/* fd 4: a write-only fd of a cgroup's cgroup.kill. */
static int pause_take_kill_fd(void) {
  if (!pause_fd_is(PAUSE_KILL_FD, O_WRONLY, CGROUP2_SUPER_MAGIC)) return 0;
  static const char suffix[] = "/cgroup.kill";
  char target[4096];
  ssize_t n = readlink("/proc/self/fd/4", target, sizeof target);
  size_t len = sizeof suffix - 1;
  if (n < (ssize_t)len || n == (ssize_t)sizeof target || memcmp(target + n - len, suffix, len) != 0) return 0;
  return pause_take_fd(PAUSE_KILL_FD);
}

/* Report on fd 3 only if the supervisor handed one over. */
static void pause_open_report_fd(void) {
  int flags = fcntl(PAUSE_REPORT_FD, F_GETFL);
  if (flags < 0) return;
  if (fcntl(PAUSE_REPORT_FD, F_SETFL, flags | O_NONBLOCK) < 0) return;
  if (!pause_take_fd(PAUSE_REPORT_FD)) return;
  /* Without a reader, write() must fail with EPIPE, not kill us (when not PID 1). */
  signal(SIGPIPE, SIG_IGN);
  pause_report_fd = PAUSE_REPORT_FD;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "-v") == 0) {
    pause_write_text(STDOUT_FILENO, "pause.c " PAUSE_VERSION "\n");
    return 0;
  }
  if (getpid() != 1) {
    /* Not an error: pause also serves outside of pods. */
    pause_write_text(STDERR_FILENO, "Warning: pause should be the first process\n");
  }
  pause_open_report_fd();
  pause_unmount = pause_take_unmount_fd();

  struct sigaction action;
  memset(&action, 0, sizeof action);
  sigemptyset(&action.sa_mask);
  action.sa_handler = pause_on_shutdown;
  if (sigaction(SIGINT, &action, NULL) < 0) return 1;
  if (sigaction(SIGTERM, &action, NULL) < 0) return 2;
  if (pause_take_kill_fd()) {
    action.sa_handler = pause_on_parent_death;
    if (sigaction(SIGUSR2, &action, NULL) < 0) return 4;
    /* podshim's spawn blocks a catchable parent-death signal: one that came before now is pending */
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    sigprocmask(SIG_UNBLOCK, &usr2, NULL);
  }
  action.sa_handler = pause_on_child;
  action.sa_flags = SA_NOCLDSTOP;
  if (sigaction(SIGCHLD, &action, NULL) < 0) return 3;

  /* Children that ended before the handler was in place. */
  pause_on_child(SIGCHLD);
  for (;;) pause();
}
