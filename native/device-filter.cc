/*
 * device-filter.cc: the cgroup v2 device controller, which is a BPF
 * program (BPF_PROG_TYPE_CGROUP_DEVICE) attached to a cgroup rather than a
 * file to write. The program's instructions are built in TypeScript
 * (src/cgroup/device-filter.ts); here they are only loaded and attached,
 * because bpf(2) takes them through a pointer inside its attribute union,
 * which an ffi call cannot place.
 *
 * LoadDeviceFilter(program: Buffer) -> prog fd (O_CLOEXEC) | -errno
 * AttachDeviceFilter(progFd, cgroupFd) -> 0 | -errno: BPF_PROG_ATTACH with
 *   no flags, so attaching again (a container restarting in its leaf)
 *   replaces the program instead of adding one.
 *
 * Man pages: bpf(2); the kernel's Documentation/bpf/prog_cgroup_device.rst
 * (not in every tree) and include/uapi/linux/bpf.h (struct
 * bpf_cgroup_dev_ctx, BPF_DEVCG_*).
 */
#include <errno.h>
#include <linux/bpf.h>
#include <napi.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "device-filter.h"

namespace {

long Bpf(int cmd, union bpf_attr *attr) {
  return syscall(SYS_bpf, cmd, attr, sizeof *attr);
}

}  // namespace

Napi::Value LoadDeviceFilter(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsBuffer()) {
    Napi::TypeError::New(env, "loadDeviceFilter(program: Buffer)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Buffer<uint8_t> program = info[0].As<Napi::Buffer<uint8_t>>();
  if (program.Length() == 0 || program.Length() % sizeof(struct bpf_insn) != 0) {
    Napi::TypeError::New(env, "loadDeviceFilter: a program is a whole number of 8-byte instructions")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  static const char license[] = "Apache-2.0";
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = reinterpret_cast<uint64_t>(program.Data());
  attr.insn_cnt = static_cast<uint32_t>(program.Length() / sizeof(struct bpf_insn));
  attr.license = reinterpret_cast<uint64_t>(license);
  static const char name[] = "podshim_devices"; /* BPF_OBJ_NAME_LEN with its NUL */
  static_assert(sizeof name <= sizeof attr.prog_name, "prog_name holds the name");
  memcpy(attr.prog_name, name, sizeof name);
  long fd = Bpf(BPF_PROG_LOAD, &attr); /* the kernel makes every BPF fd O_CLOEXEC */
  return Napi::Number::New(env, fd < 0 ? -errno : static_cast<double>(fd));
}

Napi::Value AttachDeviceFilter(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
    Napi::TypeError::New(env, "attachDeviceFilter(progFd: number, cgroupFd: number)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.attach_bpf_fd = info[0].As<Napi::Number>().Uint32Value();
  attr.target_fd = info[1].As<Napi::Number>().Uint32Value();
  attr.attach_type = BPF_CGROUP_DEVICE;
  return Napi::Number::New(env, Bpf(BPF_PROG_ATTACH, &attr) < 0 ? -errno : 0);
}
