{
  "targets": [
    {
      "target_name": "inbatch_torch",
      "sources": ["inbatch_torch.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!@(node libtorch-flags.cjs include_dirs)"
      ],
      "libraries": ["<!@(node libtorch-flags.cjs libraries)"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-O2", "-Wno-unused-parameter", "-Wno-deprecated-declarations"],
      "defines": ["<!@(node libtorch-flags.cjs defines)"]
    }
  ]
}
