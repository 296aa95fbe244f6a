//! Compresses the page's files (`static/`) once, at build time, with brotli and gzip, so
//! the component serves a browser that asks for them the compressed bytes without spending
//! a request's CPU on compressing (`src/web.rs`). A variant is kept only when it is smaller.

use std::{
    env,
    error::Error,
    fs,
    io::{self, Write},
    path::{Path, PathBuf},
};

fn main() -> Result<(), Box<dyn Error>> {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?);
    let static_dir = manifest.join("../../static");
    let out = PathBuf::from(env::var("OUT_DIR")?);
    println!("cargo:rerun-if-changed={}", static_dir.display());

    let mut names: Vec<String> = fs::read_dir(&static_dir)?
        .filter_map(Result::ok)
        .filter(|entry| entry.path().is_file())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();

    let mut table = String::from(
        "/// Every file of `static/` and its compressed variants.\n\
         static COMPRESSED: &[Compressed] = &[\n",
    );
    for name in &names {
        let path = static_dir.join(name);
        println!("cargo:rerun-if-changed={}", path.display());
        let raw = fs::read(&path)?;
        let brotli = smaller(&raw, brotli_of(&raw)?);
        let gzip = smaller(&raw, gzip_of(&raw)?);
        let variant = |bytes: Option<Vec<u8>>, extension: &str| -> io::Result<String> {
            Ok(match bytes {
                Some(bytes) => {
                    let file = out.join(format!("{name}.{extension}"));
                    fs::write(&file, bytes)?;
                    format!("Some(include_bytes!({:?}))", display(&file))
                }
                None => "None".to_owned(),
            })
        };
        table.push_str(&format!(
            "    Compressed {{ file: {name:?}, brotli: {}, gzip: {} }},\n",
            variant(brotli, "br")?,
            variant(gzip, "gz")?
        ));
    }
    table.push_str("];\n");
    fs::write(out.join("compressed.rs"), table)?;
    Ok(())
}

fn display(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// The compressed bytes, when they save at least a tenth (else the plain file is served).
fn smaller(raw: &[u8], compressed: Vec<u8>) -> Option<Vec<u8>> {
    (compressed.len() * 10 < raw.len() * 9).then_some(compressed)
}

fn brotli_of(raw: &[u8]) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        // Quality 11 (the best), a 4 MiB window: built once, sent many times.
        let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 11, 22);
        writer.write_all(raw)?;
    }
    Ok(out)
}

fn gzip_of(raw: &[u8]) -> io::Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(raw)?;
    encoder.finish()
}
