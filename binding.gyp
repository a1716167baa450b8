{
  "targets": [
    {
      "target_name": "podshim_native",
      "sources": ["native/addon.cc", "native/spawn.cc", "native/child-ops.cc", "native/exit-watch.cc", "native/device-filter.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_DISABLE_CPP_EXCEPTIONS", "NAPI_VERSION=8", "_GNU_SOURCE"],
      "cflags": ["-Wall", "-Wextra", "-Wno-unused-parameter"],
      "cflags_cc": ["-std=c++17", "-fno-exceptions"],
      "cflags_cc!": ["-fno-rtti", "-std=gnu++17"],
      "ldflags": ["-Wl,-z,now"]
    },
    {
      "target_name": "pause",
      "type": "executable",
      "sources": ["native/pause.c"],
      "defines": ["PODSHIM_VERSION=<!(node -p \"require('./package.json').version\")"],
      "cflags": ["-Os", "-Wall", "-Werror", "-ffunction-sections", "-fdata-sections"],
      "cflags!": ["-O3", "-O2", "-g", "-fPIC", "-Wextra", "-Wno-unused-parameter"],
      "ldflags": ["-static", "-s", "-Wl,--gc-sections"],
      "ldflags!": ["-rdynamic"]
    }
  ]
}
