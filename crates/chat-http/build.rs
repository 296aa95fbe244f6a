//! Rebuilds chat-http when a file is added to the page: rust-embed embeds each file of
//! `static/` with `include_bytes!`, which tells Cargo about the files that exist, not
//! about a new one beside them.

fn main() {
    println!("cargo:rerun-if-changed=../../static");
}
