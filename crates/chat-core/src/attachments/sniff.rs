//! What an upload is, from its bytes alone: the four raster image types a browser may show
//! inline (with their dimensions, read from the header, and a check that the file is not
//! cut short), or any other file, typed by its magic number for display only. What a client
//! says a file is counts only as a claim to refuse when the bytes contradict it.

use crate::{Error, Result};

/// How many bytes from the start of an upload the sniffing reads.
pub const HEAD_BYTES: usize = 4096;
/// How many bytes from the end of an upload the truncation checks read.
pub const TAIL_BYTES: usize = 16;
/// The most pixels an image may have: past this a browser would spend far more memory
/// drawing it than the file's size suggests (a decompression bomb).
pub const IMAGE_PIXELS_MAX: u64 = 50_000_000;

/// A raster image type a browser shows inline safely: never SVG (it runs scripts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Raster {
    /// `image/png`.
    Png,
    /// `image/jpeg`.
    Jpeg,
    /// `image/gif`.
    Gif,
    /// `image/webp`.
    Webp,
}

impl Raster {
    /// Its media type.
    pub fn media_type(self) -> &'static str {
        match self {
            Raster::Png => "image/png",
            Raster::Jpeg => "image/jpeg",
            Raster::Gif => "image/gif",
            Raster::Webp => "image/webp",
        }
    }

    /// Which raster type `head` (a file's first bytes) starts as, if any.
    pub fn of(head: &[u8]) -> Option<Raster> {
        if head.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Raster::Png)
        } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Raster::Jpeg)
        } else if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
            Some(Raster::Gif)
        } else if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
            Some(Raster::Webp)
        } else {
            None
        }
    }

    /// Whether a file of `size` bytes ending in `tail` is whole: each format has a mark
    /// at its end (or, for WebP, its length at its start), so an upload cut short shows.
    fn is_whole(self, head: &[u8], tail: &[u8], size: u64) -> bool {
        match self {
            Raster::Png => tail.ends_with(b"IEND\xAE\x42\x60\x82"),
            // Some cameras write padding after the end-of-image marker.
            Raster::Jpeg => tail.windows(2).any(|w| w == [0xFF, 0xD9]),
            Raster::Gif => tail.last() == Some(&0x3B),
            Raster::Webp => head
                .get(4..8)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map(u32::from_le_bytes)
                .is_some_and(|riff| u64::from(riff) + 8 == size + (size % 2)),
        }
    }
}

/// What an upload turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sniffed {
    /// The media type to show: a raster's, a known file type's, `text/plain` for UTF-8
    /// text, `application/octet-stream` otherwise.
    pub media_type: String,
    /// Set for an image shown inline.
    pub raster: Option<Raster>,
    /// An image's width and height in pixels.
    pub dimensions: Option<(u32, u32)>,
}

fn invalid(code: &'static str, message: &str) -> Error {
    Error::invalid(code, message.to_owned())
}

/// Whether a client's claim (a `Content-Type`, or a file name's extension) says image.
fn claims_image(claimed_type: Option<&str>, name: &str) -> bool {
    let by_type = claimed_type.is_some_and(|t| t.trim().to_ascii_lowercase().starts_with("image/"));
    let extension = name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase());
    let by_name = extension.is_some_and(|ext| {
        matches!(
            ext.as_str(),
            "png" | "jpg" | "jpeg" | "gif" | "webp" | "avif" | "bmp" | "svg"
        )
    });
    by_type || by_name
}

/// Sniffs an upload of `size` bytes from its first bytes `head` (up to [`HEAD_BYTES`]) and
/// its last `tail` (up to [`TAIL_BYTES`]). 400 `empty_file`; `corrupt_image` for an image
/// whose header cannot be read or that is cut short; `image_too_large` past
/// [`IMAGE_PIXELS_MAX`]; `type_mismatch` when the client called it an image (by its type or
/// its name) and it is not one the page can show.
pub fn sniff(
    head: &[u8],
    tail: &[u8],
    size: u64,
    claimed_type: Option<&str>,
    name: &str,
) -> Result<Sniffed> {
    if size == 0 {
        return Err(invalid("empty_file", "the file is empty"));
    }
    let Some(raster) = Raster::of(head) else {
        if claims_image(claimed_type, name) {
            return Err(invalid(
                "type_mismatch",
                "the file says it is an image, but its bytes are not a PNG, JPEG, GIF or WebP image",
            ));
        }
        let media_type = match infer::get(head) {
            // A type that would render as a page or run scripts is only ever bytes.
            Some(kind)
                if !kind.mime_type().contains("html") && !kind.mime_type().contains("svg") =>
            {
                kind.mime_type().to_owned()
            }
            Some(_) => "application/octet-stream".to_owned(),
            None if looks_like_text(head) => "text/plain".to_owned(),
            None => "application/octet-stream".to_owned(),
        };
        return Ok(Sniffed {
            media_type,
            raster: None,
            dimensions: None,
        });
    };
    let corrupt = || invalid("corrupt_image", "the image is damaged or cut short");
    let size_read = imagesize::blob_size(head).map_err(|_| corrupt())?;
    let (width, height) = (
        u32::try_from(size_read.width).map_err(|_| corrupt())?,
        u32::try_from(size_read.height).map_err(|_| corrupt())?,
    );
    if width == 0 || height == 0 || !raster.is_whole(head, tail, size) {
        return Err(corrupt());
    }
    if u64::from(width) * u64::from(height) > IMAGE_PIXELS_MAX {
        return Err(invalid(
            "image_too_large",
            "the image has more than 50 million pixels",
        ));
    }
    Ok(Sniffed {
        media_type: raster.media_type().to_owned(),
        raster: Some(raster),
        dimensions: Some((width, height)),
    })
}

/// Whether `head` reads as UTF-8 text (a character cut at the end of the sample aside)
/// without NUL bytes.
fn looks_like_text(head: &[u8]) -> bool {
    if head.contains(&0) {
        return false;
    }
    match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && head.len() - e.valid_up_to() < 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 3x2 red PNG, whole.
    const PNG: &[u8] = &[
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x02, 0x08, 0x02, 0x00, 0x00, 0x00, 0x12,
        0x16, 0xF1, 0x4D, 0x00, 0x00, 0x00, 0x10, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8,
        0xCF, 0xC0, 0x00, 0x41, 0x0C, 0x70, 0x16, 0x00, 0x41, 0xD2, 0x05, 0xFB, 0x87, 0xF0, 0xB9,
        0x48, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ];

    fn sniff_all(bytes: &[u8], claimed: Option<&str>, name: &str) -> Result<Sniffed> {
        let tail = &bytes[bytes.len().saturating_sub(TAIL_BYTES)..];
        sniff(
            &bytes[..bytes.len().min(HEAD_BYTES)],
            tail,
            bytes.len() as u64,
            claimed,
            name,
        )
    }

    fn code(result: Result<Sniffed>) -> &'static str {
        match result {
            Err(Error::Invalid { code, .. }) => code,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_whole_png_is_an_image_with_its_dimensions() {
        let sniffed = sniff_all(PNG, Some("application/octet-stream"), "x.bin").unwrap();
        assert_eq!(sniffed.media_type, "image/png");
        assert_eq!(sniffed.raster, Some(Raster::Png));
        assert_eq!(sniffed.dimensions, Some((3, 2)));
    }

    #[test]
    fn a_cut_or_damaged_image_is_refused() {
        assert_eq!(
            code(sniff_all(&PNG[..PNG.len() - 5], None, "a.png")),
            "corrupt_image"
        );
        assert_eq!(code(sniff_all(&PNG[..20], None, "a.png")), "corrupt_image");
        let mut zero_width = PNG.to_vec();
        zero_width[16..20].copy_from_slice(&[0, 0, 0, 0]);
        assert_eq!(code(sniff_all(&zero_width, None, "a.png")), "corrupt_image");
        let mut huge = PNG.to_vec();
        huge[16..24].copy_from_slice(&[0, 0, 0x40, 0, 0, 0, 0x40, 0]);
        assert_eq!(code(sniff_all(&huge, None, "a.png")), "image_too_large");
    }

    #[test]
    fn a_file_claiming_to_be_an_image_must_be_one() {
        let html = b"<html><script>alert(1)</script></html>";
        assert_eq!(
            code(sniff_all(html, Some("image/png"), "x.txt")),
            "type_mismatch"
        );
        assert_eq!(code(sniff_all(html, None, "cat.PNG")), "type_mismatch");
        let svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>";
        assert_eq!(code(sniff_all(svg, None, "logo.svg")), "type_mismatch");
        assert_eq!(code(sniff_all(b"", None, "x")), "empty_file");
    }

    #[test]
    fn other_files_are_typed_for_display_and_never_as_a_page() {
        let pdf = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj";
        assert_eq!(
            sniff_all(pdf, None, "a.pdf").unwrap().media_type,
            "application/pdf"
        );
        let text = "notes: caf\u{e9} at 9".as_bytes();
        assert_eq!(
            sniff_all(text, None, "notes").unwrap().media_type,
            "text/plain"
        );
        let html = b"<!DOCTYPE html><html><body>hi</body></html>";
        let sniffed = sniff_all(html, Some("text/html"), "page.html").unwrap();
        assert!(!sniffed.media_type.contains("html"), "{sniffed:?}");
        assert_eq!(sniffed.raster, None);
        let binary = [0u8, 1, 2, 3, 255, 254];
        assert_eq!(
            sniff_all(&binary, None, "x").unwrap().media_type,
            "application/octet-stream"
        );
    }
}
