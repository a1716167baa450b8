/*
 * exit-watch.cc: learn how a child ended without SIGCHLD.
 *
 * A pidfd polls readable once its process has exited (Linux 5.3); a uv_poll_t
 * on Node's own loop notices, waitid(P_PIDFD) (Linux 5.4) reaps exactly that
 * child, and the callback runs once. No SIGCHLD handler and no waitpid(-1),
 * so libuv's child_process bookkeeping is never disturbed. The active poll
 * handle keeps the loop alive, so a running container keeps `podshim run` up.
 * Should the poll fail while the child runs, a timer asks waitid again until
 * it has ended, so no child is left a zombie. That is a defence no test
 * provokes: libuv fails a poll only on POLLERR, and a pidfd's poll reports
 * only EPOLLIN/EPOLLRDNORM (newer kernels add EPOLLHUP once the child is
 * reaped), so no pidfd can make it happen.
 *
 * Man pages: pidfd_open(2), waitid(2).
 */
#include "exit-watch.h"

#include <errno.h>
#include <stdint.h>
#include <signal.h>
#include <sys/wait.h>
#include <uv.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace {

/* How often to ask again when polling the pidfd failed (see exit_watch_on_readable). */
constexpr uint64_t EXIT_WATCH_RETRY_MS = 50;

struct exit_watch {
  uv_poll_t poll;
  uv_timer_t retry;
  int open_handles;
  int pidfd;
  napi_env env;
  Napi::FunctionReference on_exit;
  Napi::AsyncContext *context;
};

/* The close callback of each of its handles; the last one frees the watch. */
void exit_watch_release(uv_handle_t *handle) {
  exit_watch *watch = static_cast<exit_watch *>(handle->data);
  if (--watch->open_handles > 0) return;
  delete watch->context;
  delete watch;
}

/* Reap without blocking: 1 = reaped into info, 0 = not yet, -1 = errno set. */
int exit_watch_reap(int pidfd, siginfo_t *info) {
  int rc;
  do {
    info->si_pid = 0;
    rc = waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd), info, WEXITED | WNOHANG);
  } while (rc < 0 && errno == EINTR);
  if (rc < 0) return errno == EAGAIN ? 0 : -1;
  return info->si_pid == 0 ? 0 : 1;
}

void exit_watch_deliver(exit_watch *watch, const siginfo_t *info, bool is_known) {
  Napi::Env env(watch->env);
  Napi::HandleScope scope(env);
  Napi::Object status = Napi::Object::New(env);
  status.Set("code", env.Null());
  status.Set("signal", env.Null());
  status.Set("coreDumped", Napi::Boolean::New(env, is_known && info->si_code == CLD_DUMPED));
  if (is_known && info->si_code == CLD_EXITED) {
    status.Set("code", Napi::Number::New(env, info->si_status));
  } else if (is_known) {
    status.Set("signal", Napi::Number::New(env, info->si_status));
  }
  Napi::Function on_exit = watch->on_exit.Value();
  on_exit.MakeCallback(env.Global(), {status}, *watch->context);
  if (env.IsExceptionPending()) {
    /* Same as a throw from any other Node callback: 'uncaughtException'. */
    Napi::Error error = env.GetAndClearPendingException();
    napi_fatal_exception(env, error.Value());
  }
}

/* Delivers the status once and closes the watch's handles. */
void exit_watch_finish(exit_watch *watch, const siginfo_t *info, bool is_known) {
  uv_poll_stop(&watch->poll);
  if (watch->open_handles == 2) uv_timer_stop(&watch->retry);
  exit_watch_deliver(watch, info, is_known);
  watch->on_exit.Reset();
  uv_close(reinterpret_cast<uv_handle_t *>(&watch->poll), exit_watch_release);
  if (watch->open_handles == 2) uv_close(reinterpret_cast<uv_handle_t *>(&watch->retry), exit_watch_release);
}

void exit_watch_on_retry(uv_timer_t *handle) {
  exit_watch *watch = static_cast<exit_watch *>(handle->data);
  siginfo_t info;
  int reaped = exit_watch_reap(watch->pidfd, &info);
  if (reaped == 0) return; /* still running: ask again */
  exit_watch_finish(watch, &info, reaped == 1);
}

void exit_watch_on_readable(uv_poll_t *handle, int status, int events) {
  (void)events;
  exit_watch *watch = static_cast<exit_watch *>(handle->data);
  siginfo_t info;
  int reaped = exit_watch_reap(watch->pidfd, &info);
  if (reaped == 0 && status == 0) return; /* spurious wake-up: keep watching */
  if (reaped == 0) {
    /*
     * The poll failed while the child still runs. Giving up would leave it a
     * zombie nobody reaps, and a blocking waitid would stall Node's loop for
     * the container's whole life: ask again on a timer instead.
     */
    uv_poll_stop(&watch->poll);
    if (uv_timer_init(uv_handle_get_loop(reinterpret_cast<uv_handle_t *>(handle)), &watch->retry) == 0) {
      watch->retry.data = watch;
      watch->open_handles = 2;
      if (uv_timer_start(&watch->retry, exit_watch_on_retry, EXIT_WATCH_RETRY_MS, EXIT_WATCH_RETRY_MS) == 0) return;
    }
  }
  /* reaped < 0 (ECHILD: someone else reaped it), or no way left to wait: both fields stay null. */
  exit_watch_finish(watch, &info, reaped == 1);
}

}  // namespace

Napi::Value WatchExit(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsFunction()) {
    Napi::TypeError::New(env, "watchExit(pidfd: number, onExit: function)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  uv_loop_t *loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
    return Napi::Number::New(env, -EINVAL);
  }
  exit_watch *watch = new exit_watch();
  watch->open_handles = 1;
  watch->pidfd = info[0].As<Napi::Number>().Int32Value();
  watch->env = env;
  int rc = uv_poll_init(loop, &watch->poll, watch->pidfd);
  if (rc < 0) {
    delete watch;
    return Napi::Number::New(env, rc);
  }
  watch->poll.data = watch;
  watch->on_exit = Napi::Persistent(info[1].As<Napi::Function>());
  watch->context = new Napi::AsyncContext(env, "podshim:exitWatch");
  rc = uv_poll_start(&watch->poll, UV_READABLE, exit_watch_on_readable);
  if (rc < 0) {
    watch->on_exit.Reset();
    uv_close(reinterpret_cast<uv_handle_t *>(&watch->poll), exit_watch_release);
    return Napi::Number::New(env, rc);
  }
  return Napi::Number::New(env, 0);
}
