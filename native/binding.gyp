{
  "variables": {
    "libtorch%": "<!(node -p \"process.env.INBATCH_LIBTORCH || '/usr'\")"
  },
  "targets": [
    {
      "target_name": "inbatch_torch",
      "sources": ["inbatch_torch.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<(libtorch)/include",
        "<(libtorch)/include/torch/csrc/api/include"
      ],
      "libraries": [
        "-L<(libtorch)/lib",
        "-L<(libtorch)/lib/x86_64-linux-gnu",
        "-Wl,-rpath,<(libtorch)/lib",
        "-ltorch", "-ltorch_cpu", "-lc10",
        "<!@(node -p \"process.env.INBATCH_LIBTORCH_LIBS || ''\")"
      ],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-O2", "-Wno-unused-parameter", "-Wno-deprecated-declarations"],
      "defines": ["NAPI_CPP_EXCEPTIONS", "NAPI_VERSION=8",
        "<!@(node -p \"require('fs').existsSync('/usr/include/gloo/context.h') || require('fs').existsSync((process.env.INBATCH_LIBTORCH || '/usr') + '/include/gloo/context.h') ? 'USE_C10D_GLOO INBATCH_DISTRIBUTED' : ''\")"]
    }
  ]
}
