/* device-filter.h: loading and attaching the cgroup device program (device-filter.cc). */
#ifndef PODSHIM_DEVICE_FILTER_H
#define PODSHIM_DEVICE_FILTER_H

#include <napi.h>

Napi::Value LoadDeviceFilter(const Napi::CallbackInfo &info);
Napi::Value AttachDeviceFilter(const Napi::CallbackInfo &info);

#endif
