/*
 * addon.cc: N-API glue only. Copies a SpawnPlan out of V8 into one arena
 * (plan.h) before anything is cloned, and turns results into plain data.
 *
 * Constraint: no errors are turned into text here. Failures cross as numbers
 * (op index, errno, negative errno returns) and src/native/addon.ts makes the
 * Node-shaped errors; a TypeError is thrown only for a malformed argument,
 * which is a bug in the caller.
 *
 * Man pages: pidfd_send_signal(2), pipe2(2), close(2).
 */
#include <errno.h>
#include <fcntl.h>
#include <napi.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h> /* makedev */
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "device-filter.h"
#include "exit-watch.h"
#include "plan.h"
#include "spawn.h"

namespace {

/* Bump allocator over one buffer sized up front; nothing is freed until the spawn returns. */
class Arena {
 public:
  static size_t Round(size_t size) { return (size + 15) & ~static_cast<size_t>(15); }
  void Reserve(size_t size) { capacity_ += Round(size); }
  void Allocate() { buffer_.reset(new char[capacity_ == 0 ? 1 : capacity_]()); }
  void *Take(size_t size) {
    char *out = buffer_.get() + used_;
    used_ += Round(size);
    return out;
  }
  const char *Copy(const std::string &text) {
    char *out = static_cast<char *>(Take(text.size() + 1));
    memcpy(out, text.c_str(), text.size() + 1);
    return out;
  }

 private:
  std::unique_ptr<char[]> buffer_;
  size_t capacity_ = 0;
  size_t used_ = 0;
};

/* One op as read from JS, before layout into the arena. */
struct ParsedOp {
  int32_t code = 0;
  int32_t num_a = 0;
  int32_t num_b = 0;
  int32_t num_c = 0;
  unsigned long flags = 0;
  std::string str[4];
  bool has_str[4] = {false, false, false, false};
  std::vector<std::string> argv;
  std::vector<std::string> envp;
  std::vector<gid_t> groups;
};

class PlanReader {
 public:
  PlanReader() = default;
  bool failed() const { return !error_.empty(); }
  const std::string &error() const { return error_; }

  int32_t Int(const Napi::Object &object, const char *key, const std::string &where) {
    Napi::Value value = object.Get(key);
    if (!value.IsNumber()) return Fail(where + "." + key + " must be a number"), 0;
    return value.As<Napi::Number>().Int32Value();
  }
  int64_t Int64(const Napi::Object &object, const char *key, const std::string &where) {
    Napi::Value value = object.Get(key);
    if (!value.IsNumber()) return Fail(where + "." + key + " must be a number"), 0;
    return value.As<Napi::Number>().Int64Value();
  }
  bool Bool(const Napi::Object &object, const char *key, const std::string &where) {
    Napi::Value value = object.Get(key);
    if (!value.IsBoolean()) return Fail(where + "." + key + " must be a boolean"), false;
    return value.As<Napi::Boolean>().Value();
  }
  /* A string, or null where is_nullable; false when null. */
  bool String(const Napi::Object &object, const char *key, const std::string &where, bool is_nullable,
              std::string *out) {
    Napi::Value value = object.Get(key);
    if (is_nullable && (value.IsNull() || value.IsUndefined())) return false;
    if (!value.IsString()) return Fail(where + "." + key + " must be a string"), false;
    *out = value.As<Napi::String>().Utf8Value();
    if (out->find('\0') != std::string::npos) return Fail(where + "." + key + " contains a NUL byte"), false;
    return true;
  }
  std::vector<std::string> Strings(const Napi::Object &object, const char *key, const std::string &where) {
    std::vector<std::string> out;
    Napi::Value value = object.Get(key);
    if (!value.IsArray()) return Fail(where + "." + key + " must be an array of strings"), out;
    Napi::Array array = value.As<Napi::Array>();
    for (uint32_t i = 0; i < array.Length(); i++) {
      Napi::Value item = array.Get(i);
      if (!item.IsString()) return Fail(where + "." + key + " must be an array of strings"), out;
      out.push_back(item.As<Napi::String>().Utf8Value());
      if (out.back().find('\0') != std::string::npos) return Fail(where + "." + key + " contains a NUL byte"), out;
    }
    return out;
  }

  ParsedOp Op(const Napi::Value &value, const std::string &where) {
    ParsedOp op;
    if (!value.IsObject()) return Fail(where + " must be an object"), op;
    Napi::Object object = value.As<Napi::Object>();
    op.code = Int(object, "op", where);
    switch (op.code) {
      case PLAN_OP_SETNS:
        op.num_a = Int(object, "fd", where);
        op.num_b = Int(object, "nstype", where);
        break;
      case PLAN_OP_MOUNT:
        op.has_str[0] = String(object, "source", where, true, &op.str[0]);
        op.has_str[1] = String(object, "target", where, false, &op.str[1]);
        op.has_str[2] = String(object, "fstype", where, true, &op.str[2]);
        op.has_str[3] = String(object, "data", where, true, &op.str[3]);
        op.flags = static_cast<unsigned long>(Int64(object, "flags", where));
        break;
      case PLAN_OP_MKDIR:
      case PLAN_OP_TOUCH:
        op.has_str[0] = String(object, "path", where, false, &op.str[0]);
        op.num_a = Int(object, "mode", where);
        break;
      case PLAN_OP_SYMLINK:
        op.has_str[0] = String(object, "target", where, false, &op.str[0]);
        op.has_str[1] = String(object, "path", where, false, &op.str[1]);
        break;
      case PLAN_OP_PIVOT_ROOT:
      case PLAN_OP_CHDIR:
      case PLAN_OP_OPEN_ROOT:
        op.has_str[0] = String(object, "path", where, false, &op.str[0]);
        break;
      case PLAN_OP_SETHOSTNAME:
        op.has_str[0] = String(object, "name", where, false, &op.str[0]);
        break;
      case PLAN_OP_LOOPBACK_UP:
      case PLAN_OP_SETSID:
        break;
      case PLAN_OP_DUP2:
        op.num_a = Int(object, "fd", where);
        op.num_b = Int(object, "target", where);
        if (op.num_b < 0) Fail(where + ".target must not be negative");
        break;
      case PLAN_OP_OPEN_PATH:
        op.has_str[0] = String(object, "path", where, false, &op.str[0]);
        op.num_b = Int(object, "target", where);
        if (op.num_b < 0) Fail(where + ".target must not be negative");
        break;
      case PLAN_OP_MKNOD:
        op.has_str[0] = String(object, "path", where, false, &op.str[0]);
        op.num_a = Int(object, "mode", where);
        op.flags = static_cast<unsigned long>(makedev(static_cast<unsigned int>(Int(object, "major", where)),
                                                      static_cast<unsigned int>(Int(object, "minor", where))));
        op.num_b = Int(object, "uid", where);
        op.num_c = Int(object, "gid", where);
        break;
      case PLAN_OP_CLOSE_FROM:
        op.num_a = Int(object, "fd", where);
        if (op.num_a < 0) Fail(where + ".fd must not be negative");
        break;
      case PLAN_OP_SET_IDS: {
        op.num_a = Int(object, "uid", where);
        op.num_b = Int(object, "gid", where);
        Napi::Value groups = object.Get("groups");
        if (!groups.IsArray()) return Fail(where + ".groups must be an array of numbers"), op;
        Napi::Array array = groups.As<Napi::Array>();
        for (uint32_t i = 0; i < array.Length(); i++) {
          Napi::Value item = array.Get(i);
          if (!item.IsNumber()) return Fail(where + ".groups must be an array of numbers"), op;
          op.groups.push_back(static_cast<gid_t>(item.As<Napi::Number>().Uint32Value()));
        }
        break;
      }
      case PLAN_OP_CAPABILITIES:
        op.flags = static_cast<unsigned long>(Int64(object, "keep", where));
        op.num_a = Int(object, "lastCap", where);
        op.num_b = Bool(object, "noNewPrivs", where) ? 1 : 0;
        break;
      case PLAN_OP_PDEATHSIG:
        op.num_a = Int(object, "signal", where);
        op.num_b = Int(object, "parentPid", where);
        break;
      case PLAN_OP_MOVE_MOUNT:
        op.num_a = Int(object, "fd", where);
        op.has_str[0] = String(object, "target", where, false, &op.str[0]);
        break;
      case PLAN_OP_WRITE_FILE:
        op.has_str[0] = String(object, "path", where, false, &op.str[0]);
        op.has_str[1] = String(object, "data", where, false, &op.str[1]);
        break;
      case PLAN_OP_EXECVE:
        op.has_str[0] = String(object, "path", where, false, &op.str[0]);
        op.argv = Strings(object, "argv", where);
        op.envp = Strings(object, "envp", where);
        break;
      default:
        Fail(where + ".op " + std::to_string(op.code) + " is not a PlanOpCode");
    }
    return op;
  }

 private:
  void Fail(const std::string &message) {
    if (error_.empty()) error_ = message;
  }
  std::string error_;
};

/* Lay the parsed ops out in the arena as a struct plan. */
void LayOut(const std::vector<ParsedOp> &parsed, Arena *arena, struct plan *plan) {
  arena->Reserve(sizeof(struct plan_op) * parsed.size());
  for (const ParsedOp &op : parsed) {
    for (int i = 0; i < 4; i++) {
      if (op.has_str[i]) arena->Reserve(op.str[i].size() + 1);
    }
    for (const std::string &s : op.argv) arena->Reserve(s.size() + 1);
    for (const std::string &s : op.envp) arena->Reserve(s.size() + 1);
    arena->Reserve(sizeof(char *) * (op.argv.size() + 1));
    arena->Reserve(sizeof(char *) * (op.envp.size() + 1));
    arena->Reserve(sizeof(gid_t) * (op.groups.size() + 1));
  }
  arena->Allocate();

  struct plan_op *ops = static_cast<struct plan_op *>(arena->Take(sizeof(struct plan_op) * parsed.size()));
  plan->max_dup2_target = 2;
  for (size_t n = 0; n < parsed.size(); n++) {
    const ParsedOp &from = parsed[n];
    struct plan_op *to = &ops[n];
    memset(to, 0, sizeof *to);
    to->code = from.code;
    to->num_a = from.num_a;
    to->num_b = from.num_b;
    to->num_c = from.num_c;
    to->flags = from.flags;
    const char **strings[4] = {&to->str_a, &to->str_b, &to->str_c, &to->str_d};
    for (int i = 0; i < 4; i++) *strings[i] = from.has_str[i] ? arena->Copy(from.str[i]) : nullptr;
    if (from.code == PLAN_OP_SETHOSTNAME || from.code == PLAN_OP_WRITE_FILE) {
      to->len = from.code == PLAN_OP_SETHOSTNAME ? from.str[0].size() : from.str[1].size();
    }
    if ((from.code == PLAN_OP_DUP2 || from.code == PLAN_OP_OPEN_PATH) && from.num_b > plan->max_dup2_target) plan->max_dup2_target = from.num_b;
    if (from.code == PLAN_OP_SET_IDS) {
      gid_t *groups = static_cast<gid_t *>(arena->Take(sizeof(gid_t) * (from.groups.size() + 1)));
      for (size_t i = 0; i < from.groups.size(); i++) groups[i] = from.groups[i];
      to->groups = groups;
      to->len = from.groups.size();
    }
    if (from.code == PLAN_OP_EXECVE) {
      char **argv = static_cast<char **>(arena->Take(sizeof(char *) * (from.argv.size() + 1)));
      for (size_t i = 0; i < from.argv.size(); i++) argv[i] = const_cast<char *>(arena->Copy(from.argv[i]));
      argv[from.argv.size()] = nullptr;
      char **envp = static_cast<char **>(arena->Take(sizeof(char *) * (from.envp.size() + 1)));
      for (size_t i = 0; i < from.envp.size(); i++) envp[i] = const_cast<char *>(arena->Copy(from.envp[i]));
      envp[from.envp.size()] = nullptr;
      to->argv = argv;
      to->envp = envp;
    }
  }
  plan->ops = ops;
  plan->n_ops = parsed.size();
}

Napi::Value ThrowType(Napi::Env env, const std::string &message) {
  Napi::TypeError::New(env, "spawn: " + message).ThrowAsJavaScriptException();
  return env.Undefined();
}

/*
 * Spawn(plan) -> {pid, pidfd} | {opIndex, errno} (the child failed, and was reaped)
 *              | {syscall, errno} (the supervisor's own side failed).
 */
Napi::Value Spawn(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) return ThrowType(env, "plan must be an object");
  Napi::Object object = info[0].As<Napi::Object>();
  PlanReader reader;
  struct plan plan;
  memset(&plan, 0, sizeof plan);
  plan.clone_flags = static_cast<uint64_t>(reader.Int64(object, "cloneFlags", "plan"));
  plan.pid_ns_fd = reader.Int(object, "pidNsFd", "plan");
  plan.cgroup_fd = reader.Int(object, "cgroupFd", "plan");
  Napi::Value ops_value = object.Get("ops");
  if (!ops_value.IsArray()) return ThrowType(env, "plan.ops must be an array");
  Napi::Array ops = ops_value.As<Napi::Array>();
  std::vector<ParsedOp> parsed;
  for (uint32_t i = 0; i < ops.Length() && !reader.failed(); i++) {
    parsed.push_back(reader.Op(ops.Get(i), "plan.ops[" + std::to_string(i) + "]"));
  }
  if (reader.failed()) return ThrowType(env, reader.error());
  if (parsed.empty() || parsed.back().code != PLAN_OP_EXECVE) {
    return ThrowType(env, "the last op of plan.ops must be Execve");
  }

  Arena arena;
  LayOut(parsed, &arena, &plan);
  struct spawn_result result;
  spawn_run(&plan, &result);

  Napi::Object out = Napi::Object::New(env);
  switch (result.outcome) {
    case SPAWN_OK:
      out.Set("pid", Napi::Number::New(env, result.pid));
      out.Set("pidfd", Napi::Number::New(env, result.pidfd));
      break;
    case SPAWN_CHILD_FAILED:
      out.Set("opIndex", Napi::Number::New(env, result.op_index));
      out.Set("errno", Napi::Number::New(env, result.err));
      break;
    case SPAWN_PARENT_FAILED:
      out.Set("syscall", Napi::String::New(env, result.syscall));
      out.Set("errno", Napi::Number::New(env, result.err));
      break;
  }
  return out;
}

/* Signal(pidfd, signal) -> 0 | -errno */
Napi::Value Signal(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "signal(pidfd: number, signal: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int pidfd = info[0].As<Napi::Number>().Int32Value();
  int sig = info[1].As<Napi::Number>().Int32Value();
  long rc = syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0);
  return Napi::Number::New(env, rc < 0 ? -errno : 0);
}

/* Pipe() -> [readFd, writeFd] | -errno */
Napi::Value Pipe(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) return Napi::Number::New(env, -errno);
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, fds[0]));
  out.Set(1u, Napi::Number::New(env, fds[1]));
  return out;
}

/* Close(fd) -> 0 | -errno */
Napi::Value Close(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    Napi::TypeError::New(env, "close(fd: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  /* Linux always releases the fd, even on EINTR: never retry close(2). */
  int rc = close(info[0].As<Napi::Number>().Int32Value());
  return Napi::Number::New(env, rc < 0 ? -errno : 0);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("spawn", Napi::Function::New(env, Spawn, "spawn"));
  exports.Set("watchExit", Napi::Function::New(env, WatchExit, "watchExit"));
  exports.Set("signal", Napi::Function::New(env, Signal, "signal"));
  exports.Set("pipe", Napi::Function::New(env, Pipe, "pipe"));
  exports.Set("close", Napi::Function::New(env, Close, "close"));
  exports.Set("loadDeviceFilter", Napi::Function::New(env, LoadDeviceFilter, "loadDeviceFilter"));
  exports.Set("attachDeviceFilter", Napi::Function::New(env, AttachDeviceFilter, "attachDeviceFilter"));
  return exports;
}

}  // namespace

NODE_API_MODULE(podshim_native, Init)
