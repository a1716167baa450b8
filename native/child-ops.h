/*
 * child-ops.h: the plan ops as the cloned child runs them (child-ops.cc),
 * for spawn.cc's executor. Async-signal-safe, like everything the child runs.
 */
#ifndef PODSHIM_CHILD_OPS_H
#define PODSHIM_CHILD_OPS_H

#include <stddef.h>

#include "plan.h"

/* The executor's own fds, which the plan must not close or overwrite, and its root. */
struct executor_fds {
  int error_fd;    /* write end of the report pipe */
  int parent_fd;   /* pidfd of the supervisor for the PDEATHSIG check, or -1 */
  int root_fd;     /* O_PATH fd of the OPEN_ROOT directory, or -1 */
  const char *root_path;
  size_t root_len;
};

/* Hidden: called straight, never through the PLT, from a child on the supervisor's memory. */
#define CHILD_OPS_INTERNAL __attribute__((visibility("hidden")))

/* Move fd above floor, keeping O_CLOEXEC, so a Dup2 op cannot overwrite it; returns the new fd or -1. */
CHILD_OPS_INTERNAL int child_move_fd_above(int fd, int floor);

/* Run one op; floor is the plan's highest Dup2 target. Returns 0, or -1 with errno set. */
CHILD_OPS_INTERNAL int child_run_op(const struct plan_op *op, struct executor_fds *fds, int floor);

#endif
