/*
 * exit-watch.h: WatchExit (see exit-watch.cc).
 */
#ifndef PODSHIM_EXIT_WATCH_H
#define PODSHIM_EXIT_WATCH_H

#include <napi.h>

/* WatchExit(pidfd, onExit): onExit({code, signal, coreDumped}) once, on the loop. */
Napi::Value WatchExit(const Napi::CallbackInfo &info);

#endif
