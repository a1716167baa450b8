/*
 * plan.h: the flat spawn plan the child walks between clone3(2) and execve(2).
 *
 * Constraint: after the clone nothing may allocate, so addon.cc copies every
 * string and array out of V8 into one arena first; the child only follows
 * pointers into it. The op codes must equal PlanOpCode in
 * src/native/contract.ts (bubblewrap's SetupOp is the model).
 */
#ifndef PODSHIM_PLAN_H
#define PODSHIM_PLAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

enum plan_op_code {
  PLAN_OP_SETNS = 1,
  PLAN_OP_MOUNT = 2,
  PLAN_OP_MKDIR = 3,
  PLAN_OP_TOUCH = 4,
  PLAN_OP_SYMLINK = 5,
  PLAN_OP_PIVOT_ROOT = 6,
  PLAN_OP_SETHOSTNAME = 7,
  PLAN_OP_LOOPBACK_UP = 8,
  PLAN_OP_DUP2 = 9,
  PLAN_OP_CLOSE_FROM = 10,
  PLAN_OP_CHDIR = 11,
  PLAN_OP_SET_IDS = 12,
  PLAN_OP_PDEATHSIG = 13,
  PLAN_OP_WRITE_FILE = 14,
  PLAN_OP_SETSID = 15,
  PLAN_OP_EXECVE = 16,
  PLAN_OP_MOVE_MOUNT = 17,
  PLAN_OP_OPEN_ROOT = 18,
  PLAN_OP_CAPABILITIES = 19,
  PLAN_OP_OPEN_PATH = 20,
  PLAN_OP_MKNOD = 21,
};

/*
 * Failures before the plan's first op, reported in place of an op index
 * (SpawnFailure.opIndex in contract.ts).
 */
enum plan_stage {
  PLAN_STAGE_SETNS_PID = -1,   /* the intermediate's setns(pidNsFd, CLONE_NEWPID) */
  PLAN_STAGE_CLONE = -2,       /* the intermediate's clone3 of the final child */
  PLAN_STAGE_EXECUTOR = -3     /* the child's fcntl moving its own fds out of the plan's way */
};

/*
 * One operation. Which fields mean what depends on code; strings are
 * NUL-terminated and NULL where the kernel takes NULL.
 *   SETNS:       num_a = fd, num_b = nstype
 *   MOUNT:       str_a = source, str_b = target, str_c = fstype, str_d = data, flags
 *   MKDIR/TOUCH: str_a = path, num_a = mode
 *   SYMLINK:     str_a = target, str_b = path (the link)
 *   PIVOT_ROOT:  str_a = path
 *   SETHOSTNAME: str_a = name, len = strlen(name)
 *   DUP2:        num_a = fd, num_b = target
 *   CLOSE_FROM:  num_a = first fd
 *   CHDIR:       str_a = path
 *   SET_IDS:     num_a = uid, num_b = gid, groups[len]
 *   PDEATHSIG:   num_a = signal, num_b = parent pid as the child sees it (0 = do not compare)
 *   WRITE_FILE:  str_a = path, str_b = data, len = its length
 *   EXECVE:      str_a = path, argv, envp (NULL-terminated)
 *   MOVE_MOUNT:  num_a = fd of a detached mount (open_tree OPEN_TREE_CLONE), str_a = target
 *   CAPABILITIES: flags = mask of the capabilities the bounding set keeps, num_a = the
 *                highest capability number, num_b = 1 to set no_new_privs. Clears the
 *                inheritable and ambient sets; exec then gives root the bounding set.
 *   OPEN_ROOT:   str_a = the container's root directory. From here on, every
 *                path of a later op below it is resolved inside it, as if it
 *                were / (openat2 RESOLVE_IN_ROOT): a symlink or `..` in the
 *                image or a volume cannot lead a mount, mkdir or file out.
 *   OPEN_PATH:   str_a = path, num_b = target: an O_PATH fd of path, left open
 *                across execve as fd target (e.g. a mount for the program to
 *                unmount later through /proc/self/fd/target).
 *   MKNOD:       str_a = path, num_a = mode (file type and permissions, set
 *                exactly: no umask), flags = the device number (makedev),
 *                num_b = uid, num_c = gid of the node.
 */
struct plan_op {
  int32_t code;
  int32_t num_a;
  int32_t num_b;
  int32_t num_c;
  unsigned long flags;
  size_t len;
  const char *str_a;
  const char *str_b;
  const char *str_c;
  const char *str_d;
  char *const *argv;
  char *const *envp;
  const gid_t *groups;
};

struct plan {
  uint64_t clone_flags;
  int pid_ns_fd;
  int cgroup_fd;
  /* highest Dup2 target: the executor's own fds are moved above it */
  int max_dup2_target;
  size_t n_ops;
  const struct plan_op *ops;
};

/* What the intermediate and the child write on the error pipe: one record per write. */
enum plan_report_kind {
  PLAN_REPORT_PID = 1,     /* the intermediate: value = the final child's pid */
  PLAN_REPORT_FAILURE = 2, /* value = errno, op_index = op or plan_stage */
};

struct plan_report {
  int32_t kind;
  int32_t op_index;
  int32_t value;
};

#ifdef __cplusplus
}
#endif

#endif
