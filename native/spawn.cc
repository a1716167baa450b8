/*
 * spawn.cc: create one process from a plan, and the executor that runs the
 * plan between clone3(2) and execve(2).
 *
 * Constraint: Node is multithreaded, so the cloned children may only make
 * async-signal-safe calls: no malloc, no locks, no exceptions, no printf.
 * Everything they touch was copied into the plan's arena beforehand
 * (addon.cc). All of that code sits in one marked section below.
 *
 * Shape (youki's sibling clone): the calling thread clones an intermediate
 * child; it setns(2)es into the target PID namespace if asked (which only
 * affects its future children) and clone3(CLONE_PARENT)s the final child, so
 * the supervisor stays that child's parent and gets its exit status. Both
 * report on one O_CLOEXEC pipe with single fixed-size writes (atomic, below
 * PIPE_BUF): the intermediate the child's pid, either of them a failure as
 * {op index, errno}. EOF on the pipe means execve succeeded (libuv's trick).
 *
 * On x86-64 both clones share the supervisor's memory, as vfork(2) and
 * posix_spawn(3) do (CLONE_VM | CLONE_VFORK, each on a stack of its own):
 * copying Node's page tables twice, and the copy-on-write faults Node then
 * takes on every page it writes, were most of a spawn's cost. The calling
 * thread stays suspended until the final child has exec'd or died, which is
 * what makes sharing safe: the plan it reads is not freed under it, and its
 * errno writes land in that suspended thread's TLS (the addon is linked
 * with -z now, so no lazy symbol binding runs in a child either). Rules that
 * come with sharing:
 *  - The stacks are unmapped only at EOF on the report pipe: the intermediate
 *    can be killed while it waits, and the final child run on. EOF proves the
 *    child is off the shared memory: exit and execve release it before the
 *    fds close.
 *  - The kernel writes the final child's pid into the shared clone_start
 *    (CLONE_PARENT_SETTID), so the parent knows it even when the
 *    intermediate died before it could report it.
 *  - A plan that changes uid/gid gets a final child with a copy of the
 *    memory: a credential change marks the memory it runs on not dumpable,
 *    which would be the supervisor's, and the child would sit under another
 *    uid on the supervisor's memory until its execve.
 *  - A task that shares its memory cannot setns(2) into a time namespace
 *    (EUSERS); no plan does.
 * Elsewhere both clones copy the address space, as fork(2) does.
 *
 * What each op does is child-ops.cc, the same zone's other half.
 *
 * Man pages: clone3(2), setns(2), pidfd_open(2), clone(2) CLONE_VFORK.
 */
#include "spawn.h"
#include "child-ops.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL /* Linux 5.7 */
#endif

#if defined(__x86_64__) && !defined(__ILP32__)
#define PODSHIM_SHARED_VM_CLONE 1
/*
 * clone3(2) for a child that runs on a stack of its own: the kernel starts the
 * child with its stack pointer at args->stack + args->stack_size, where no
 * caller frame exists to return into, so the child calls fn(arg) from here and
 * never returns (exit_group(127) should fn ever come back). The parent gets
 * the raw result: the child's pid or -errno.
 */
extern "C" long podshim_clone3_on_stack(struct clone_args *args, size_t size, void (*fn)(void *), void *arg);
asm(R"(
  .pushsection .text
  .p2align 4
  .globl podshim_clone3_on_stack
  .hidden podshim_clone3_on_stack
  .type podshim_clone3_on_stack, @function
podshim_clone3_on_stack:
  .cfi_startproc
  movq %rdx, %r8          /* fn and arg survive the syscall in r8/r9 (it clobbers rcx, r11) */
  movq %rcx, %r9
  movl $435, %eax         /* SYS_clone3; args and size are already in rdi and rsi */
  syscall
  testq %rax, %rax
  jnz 1f
  .cfi_undefined rip      /* the child: no frame above this one, for unwinders too */
  xorl %ebp, %ebp
  movq %r9, %rdi
  callq *%r8
  movl $127, %edi
  movl $231, %eax         /* SYS_exit_group */
  syscall
  ud2
1:
  retq
  .cfi_endproc
  .size podshim_clone3_on_stack, .-podshim_clone3_on_stack
  .popsection
)");
#endif

namespace {

/* Each shared-memory clone's stack: the plan walk needs a few KiB (PATH_MAX for getcwd). */
constexpr size_t CLONE_STACK_SIZE = 64 * 1024;

/* ===================== BEGIN async-signal-safe section =====================
 * Everything from here to the END marker runs in a cloned child of a
 * multithreaded process: raw syscalls and stack memory only.
 */

void child_report(int fd, int kind, int op_index, int value) {
  struct plan_report report;
  report.kind = kind;
  report.op_index = op_index;
  report.value = value;
  /* One write of a record smaller than PIPE_BUF is atomic; nothing to do if it fails. */
  ssize_t written;
  do {
    written = syscall(SYS_write, fd, &report, sizeof report);
  } while (written < 0 && errno == EINTR);
}

[[noreturn]] void child_fail(int fd, int op_index, int err) {
  child_report(fd, PLAN_REPORT_FAILURE, op_index, err);
  syscall(SYS_exit_group, 127);
  __builtin_unreachable();
}

/* Restore default dispositions (SIG_IGN survives execve, e.g. Node's SIGPIPE), then unblock. */
void child_reset_signals(void) {
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    sigaction(sig, &dfl, nullptr); /* glibc's reserved signals fail with EINVAL: fine */
  }
  uint64_t none = 0;
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, nullptr, sizeof none);
}


/* The final child: walk the plan, end in execve. */
[[noreturn]] void child_main(const struct plan *plan, struct executor_fds fds) {
  child_reset_signals();
  int error_fd = child_move_fd_above(fds.error_fd, plan->max_dup2_target);
  if (error_fd < 0) child_fail(fds.error_fd, PLAN_STAGE_EXECUTOR, errno);
  fds.error_fd = error_fd;
  /* Without the parent's pidfd the PDEATHSIG op only loses its extra check. */
  fds.parent_fd = child_move_fd_above(fds.parent_fd, plan->max_dup2_target);
  for (size_t i = 0; i < plan->n_ops; i++) {
    errno = 0;
    if (child_run_op(&plan->ops[i], &fds, plan->max_dup2_target) < 0) child_fail(fds.error_fd, (int)i, errno);
  }
  /* addon.cc requires the last op to be execve, which only returns on failure. */
  child_fail(fds.error_fd, (int)plan->n_ops, EINVAL);
}

/* What each clone starts from; it lives in the frame of spawn_run. */
struct clone_start {
  const struct plan *plan;
  struct executor_fds fds;
  void *final_stack;  /* the final child's stack where it shares memory, else null */
  pid_t final_pid;    /* written by the kernel where the clones share memory (CLONE_PARENT_SETTID) */
};

#ifdef PODSHIM_SHARED_VM_CLONE
void final_entry(void *arg) {
  const struct clone_start *start = (const struct clone_start *)arg;
  child_main(start->plan, start->fds);
}
#endif

/* The intermediate: join the PID namespace, clone the final child as our sibling, report its pid. */
[[noreturn]] void intermediate_main(const struct clone_start *start) {
  const struct plan *plan = start->plan;
  struct executor_fds fds = start->fds;
  if (plan->pid_ns_fd >= 0 && syscall(SYS_setns, plan->pid_ns_fd, CLONE_NEWPID) < 0) {
    child_fail(fds.error_fd, PLAN_STAGE_SETNS_PID, errno);
  }
  struct clone_args args;
  memset(&args, 0, sizeof args);
  args.flags = CLONE_PARENT | plan->clone_flags;
  if (plan->cgroup_fd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = (uint64_t)plan->cgroup_fd;
  }
  /* exit_signal must be 0 with CLONE_PARENT: the child inherits ours (SIGCHLD). */
  args.exit_signal = 0;
  long pid;
#ifdef PODSHIM_SHARED_VM_CLONE
  if (start->final_stack != nullptr) {
    /* CLONE_VFORK: we, and so the supervisor's thread, wait until the child exec'd or died. */
    args.flags |= CLONE_VM | CLONE_VFORK | CLONE_PARENT_SETTID;
    args.parent_tid = (uint64_t)(uintptr_t)&start->final_pid;
    args.stack = (uint64_t)(uintptr_t)start->final_stack;
    args.stack_size = CLONE_STACK_SIZE;
    pid = podshim_clone3_on_stack(&args, sizeof args, final_entry, (void *)start);
    if (pid < 0) child_fail(fds.error_fd, PLAN_STAGE_CLONE, (int)-pid);
  } else
#endif
  {
    /* The child gets a copy of the memory, and with it of this stack, where it returns. */
    pid = syscall(SYS_clone3, &args, sizeof args);
    if (pid == 0) child_main(plan, fds);
    if (pid < 0) child_fail(fds.error_fd, PLAN_STAGE_CLONE, errno);
  }
  child_report(fds.error_fd, PLAN_REPORT_PID, 0, (int)pid);
  syscall(SYS_exit_group, 0);
  __builtin_unreachable();
}

#ifdef PODSHIM_SHARED_VM_CLONE
void intermediate_entry(void *arg) {
  intermediate_main((const struct clone_start *)arg);
}
#endif

/* ====================== END async-signal-safe section ====================== */

/*
 * Whether the plan changes a credential the kernel's dumpable rule looks at
 * (commit_creds: euid, egid, fsuid, fsgid): a SetIds to the uid and gid the
 * caller already has (root setting root's, with its own groups) does not,
 * so it keeps the shared-memory spawn.
 */
bool plan_changes_ids(const struct plan *plan) {
  for (size_t i = 0; i < plan->n_ops; i++) {
    const struct plan_op *op = &plan->ops[i];
    if (op->code != PLAN_OP_SET_IDS) continue;
    if ((uid_t)op->num_a != geteuid() || (gid_t)op->num_b != getegid()) return true;
  }
  return false;
}

bool plan_has_pdeathsig(const struct plan *plan) {
  for (size_t i = 0; i < plan->n_ops; i++) {
    if (plan->ops[i].code == PLAN_OP_PDEATHSIG) return true;
  }
  return false;
}

void close_quietly(int fd) {
  if (fd >= 0) close(fd);
}

void fail_parent(struct spawn_result *result, const char *syscall_name, int err) {
  result->outcome = SPAWN_PARENT_FAILED;
  result->syscall = syscall_name;
  result->err = err;
}

#ifdef PODSHIM_SHARED_VM_CLONE
/* Two stacks, each above a PROT_NONE guard page: [guard][intermediate][guard][final]. */
struct clone_stacks {
  void *mapping;
  size_t length;
  void *intermediate_stack;
  void *final_stack;
};

int map_clone_stacks(struct clone_stacks *stacks) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  size_t slot = page + CLONE_STACK_SIZE;
  stacks->length = 2 * slot;
  void *mapping = mmap(nullptr, stacks->length, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mapping == MAP_FAILED) return -1;
  char *base = (char *)mapping;
  stacks->mapping = mapping;
  stacks->intermediate_stack = base + page;
  stacks->final_stack = base + slot + page;
  if (mprotect(stacks->intermediate_stack, CLONE_STACK_SIZE, PROT_READ | PROT_WRITE) < 0 ||
      mprotect(stacks->final_stack, CLONE_STACK_SIZE, PROT_READ | PROT_WRITE) < 0) {
    int err = errno;
    munmap(mapping, stacks->length);
    errno = err;
    return -1;
  }
  return 0;
}

void unmap_clone_stacks(struct clone_stacks *stacks) {
  munmap(stacks->mapping, stacks->length);
}
#endif

pid_t wait_exact(pid_t pid) {
  int status;
  pid_t rc;
  do {
    rc = waitpid(pid, &status, __WALL);
  } while (rc < 0 && errno == EINTR);
  return rc;
}

/* Read every report until EOF (the child exec'd or died) into child_pid / failure. */
int read_reports(int fd, int *child_pid, struct plan_report *failure) {
  char buffer[sizeof(struct plan_report) * 4];
  size_t filled = 0;
  for (;;) {
    ssize_t n = read(fd, buffer + filled, sizeof buffer - filled);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) return 0;
    filled += (size_t)n;
    while (filled >= sizeof(struct plan_report)) {
      struct plan_report report;
      memcpy(&report, buffer, sizeof report);
      memmove(buffer, buffer + sizeof report, filled - sizeof report);
      filled -= sizeof report;
      if (report.kind == PLAN_REPORT_PID) *child_pid = report.value;
      if (report.kind == PLAN_REPORT_FAILURE && failure->kind == 0) *failure = report;
    }
  }
}

}  // namespace

void spawn_run(const struct plan *plan, struct spawn_result *result) {
  memset(result, 0, sizeof *result);
  result->pid = -1;
  result->pidfd = -1;

  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) < 0) return fail_parent(result, "pipe2", errno);
  struct executor_fds fds = {pipe_fds[1], -1, -1, nullptr, 0};
  if (plan_has_pdeathsig(plan)) {
    fds.parent_fd = (int)syscall(SYS_pidfd_open, getpid(), 0);
    if (fds.parent_fd < 0) {
      int err = errno;
      close(pipe_fds[0]);
      close(pipe_fds[1]);
      return fail_parent(result, "pidfd_open", err);
    }
  }

  struct clone_start start = {plan, fds, nullptr, -1};
  struct clone_args args;
  memset(&args, 0, sizeof args);
  args.exit_signal = SIGCHLD;
#ifdef PODSHIM_SHARED_VM_CLONE
  struct clone_stacks stacks;
  if (map_clone_stacks(&stacks) < 0) {
    int err = errno;
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    close_quietly(fds.parent_fd);
    return fail_parent(result, "mmap", err);
  }
  if (!plan_changes_ids(plan)) start.final_stack = stacks.final_stack;
  args.flags = CLONE_VM | CLONE_VFORK;
  args.stack = (uint64_t)(uintptr_t)stacks.intermediate_stack;
  args.stack_size = CLONE_STACK_SIZE;
#endif

  /* Block every signal so no Node handler runs in a child before it resets them (node-pty). */
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
#ifdef PODSHIM_SHARED_VM_CLONE
  /* Returns once the intermediate has exited, so after the final child's execve or death. */
  long intermediate = podshim_clone3_on_stack(&args, sizeof args, intermediate_entry, &start);
  int clone_err = intermediate < 0 ? (int)-intermediate : 0;
#else
  long intermediate = syscall(SYS_clone3, &args, sizeof args);
  if (intermediate == 0) intermediate_main(&start);
  int clone_err = errno;
#endif
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);

  close(pipe_fds[1]);
  close_quietly(fds.parent_fd);
  if (intermediate < 0) {
#ifdef PODSHIM_SHARED_VM_CLONE
    unmap_clone_stacks(&stacks);
#endif
    close(pipe_fds[0]);
    return fail_parent(result, "clone3", clone_err);
  }

  wait_exact((pid_t)intermediate);
  int child_pid = -1;
  struct plan_report failure;
  memset(&failure, 0, sizeof failure);
  int read_rc = read_reports(pipe_fds[0], &child_pid, &failure);
  int read_err = errno;
  close(pipe_fds[0]);
#ifdef PODSHIM_SHARED_VM_CLONE
  /* EOF (or a failed read, which no pipe of ours gives): the children are off these stacks. */
  unmap_clone_stacks(&stacks);
  /* The intermediate was killed before it could report the child it cloned. */
  if (child_pid <= 0 && start.final_pid > 0) child_pid = start.final_pid;
#endif

  if (failure.kind == PLAN_REPORT_FAILURE) {
    if (child_pid > 0) wait_exact(child_pid);
    result->outcome = SPAWN_CHILD_FAILED;
    result->op_index = failure.op_index;
    result->err = failure.value;
    return;
  }
  if (read_rc < 0 || child_pid <= 0) {
    /* The intermediate died without a word (killed from outside) before it cloned: nothing is
     * left to reap (a child it cloned was reported, or is known from CLONE_PARENT_SETTID). */
    return fail_parent(result, "read", read_rc < 0 ? read_err : ECHILD);
  }
  int pidfd = (int)syscall(SYS_pidfd_open, child_pid, 0);
  if (pidfd < 0) {
    int err = errno;
    /* Still our unreaped child, so the pid cannot have been recycled. */
    kill(child_pid, SIGKILL);
    wait_exact(child_pid);
    return fail_parent(result, "pidfd_open", err);
  }
  result->outcome = SPAWN_OK;
  result->pid = child_pid;
  result->pidfd = pidfd;
}
