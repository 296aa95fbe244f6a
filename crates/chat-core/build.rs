//! Rebuilds chat-core when a migration is added: rust-embed embeds each file of
//! `migrations/` with `include_bytes!`, which tells Cargo about the files that exist, not
//! about a new directory or file beside them.

fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
