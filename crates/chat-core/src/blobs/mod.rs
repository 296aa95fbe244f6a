//! The blob store's backends, one per file: `sql_blobs.rs` keeps parts as rows of the
//! shared SQL store (one Spin process, a cluster on sqld and Turso all serve them). An
//! object store (S3 and compatible) would be a file beside it, implementing the same
//! `BlobStore` port.

mod sql_blobs;

pub use sql_blobs::SqlBlobs;
