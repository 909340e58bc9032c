// Link libkftrainer: $KFTRAINER_LIB_DIR (e.g. build/ of a checkout), else
// ../../build relative to this crate, else the system's library path.
// SPDX-License-Identifier: Apache-2.0
use std::env;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=KFTRAINER_LIB_DIR");
    let dir = match env::var("KFTRAINER_LIB_DIR") {
        Ok(d) if !d.is_empty() => Some(PathBuf::from(d)),
        _ => {
            let here = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
            let b = here.join("../../build");
            if b.join("libkftrainer.so").exists() {
                Some(b.canonicalize().unwrap())
            } else {
                None
            }
        }
    };
    if let Some(d) = dir {
        println!("cargo:rustc-link-search=native={}", d.display());
        // so the example runs from the build tree without LD_LIBRARY_PATH
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", d.display());
    }
    println!("cargo:rustc-link-lib=dylib=kftrainer");
}
