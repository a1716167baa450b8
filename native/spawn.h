/*
 * spawn.h: spawn_run() creates one process from a plan (see spawn.cc).
 */
#ifndef PODSHIM_SPAWN_H
#define PODSHIM_SPAWN_H

#include "plan.h"

enum spawn_outcome {
  SPAWN_OK = 0,            /* pid and pidfd are set; the child exec'd */
  SPAWN_CHILD_FAILED = 1,  /* op_index and err are set; the child was reaped */
  SPAWN_PARENT_FAILED = 2, /* syscall and err are set; nothing was left running */
};

struct spawn_result {
  enum spawn_outcome outcome;
  int pid;
  int pidfd;
  int op_index;
  int err;
  const char *syscall;
};

void spawn_run(const struct plan *plan, struct spawn_result *result);

#endif
