//! The browser client in `assets/` is built into the binary (`src/assets.rs`). Changed files are
//! seen by the compiler; this makes a file added there (VideoJS after `install.sh`) rebuild too.

fn main() {
    println!("cargo:rerun-if-changed=assets");
}
