//! Scaled previews of pictures, made once at upload with the `image` crate (pure Rust, so
//! it runs inside the wasm component): a big photo shows in the log as at most
//! [`PREVIEW_SIDE`] pixels a side instead of its full 10 MiB, and opens full size on a
//! click. Decoding also proves a picture whole, and reads a JPEG's EXIF orientation, so a
//! phone photo taken upright is laid out upright.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, metadata::Orientation};

use super::sniff::Raster;
use crate::{Error, Result};

/// The longest side of a preview, in pixels (twice what the page shows, for sharp screens).
pub const PREVIEW_SIDE: u32 = 640;
/// Pictures this small (bytes) and no wider than [`PREVIEW_SIDE`] are their own preview.
const SMALL_BYTES: usize = 200 * 1024;
/// The most pixels decoded for a preview (64 MiB of RGBA): a bigger picture gets none and
/// the page shows it scaled by the browser.
pub const PREVIEW_PIXELS_MAX: u64 = 16_000_000;

/// A picture as it is laid out, and its preview when it gets one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pictured {
    /// Width and height as shown (a rotating EXIF orientation swaps the stored ones).
    pub dimensions: (u32, u32),
    /// The preview's bytes and media type, when the picture is big enough to need one.
    pub preview: Option<(Vec<u8>, &'static str)>,
}

fn damaged() -> Error {
    Error::invalid("corrupt_image", "the image is damaged or cut short")
}

fn format_of(raster: Raster) -> ImageFormat {
    match raster {
        Raster::Png => ImageFormat::Png,
        Raster::Jpeg => ImageFormat::Jpeg,
        Raster::Gif => ImageFormat::Gif,
        Raster::Webp => ImageFormat::WebP,
    }
}

/// Whether an orientation turns the picture on its side.
fn turns_sideways(orientation: Orientation) -> bool {
    matches!(
        orientation,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    )
}

/// Lays out and previews picture `bytes` of type `raster`, `stored` pixels (as its header
/// says). 400 `corrupt_image` when decoding finds it damaged. GIFs keep their animation:
/// they are never previewed (nor decoded).
pub fn picture(bytes: &[u8], raster: Raster, stored: (u32, u32)) -> Result<Pictured> {
    let pixels = u64::from(stored.0) * u64::from(stored.1);
    let small = bytes.len() <= SMALL_BYTES && stored.0.max(stored.1) <= PREVIEW_SIDE;
    if raster == Raster::Gif || pixels > PREVIEW_PIXELS_MAX {
        return Ok(Pictured {
            dimensions: stored,
            preview: None,
        });
    }
    let reader = ImageReader::with_format(Cursor::new(bytes), format_of(raster));
    let mut decoder = reader.into_decoder().map_err(|_| damaged())?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let dimensions = if turns_sideways(orientation) {
        (stored.1, stored.0)
    } else {
        stored
    };
    if small && orientation == Orientation::NoTransforms {
        return Ok(Pictured {
            dimensions,
            preview: None,
        });
    }
    let mut image = DynamicImage::from_decoder(decoder).map_err(|_| damaged())?;
    image.apply_orientation(orientation);
    let scaled = image.thumbnail(PREVIEW_SIDE, PREVIEW_SIDE);
    let mut out = Cursor::new(Vec::new());
    let media_type = if scaled.color().has_alpha() {
        scaled
            .write_to(&mut out, ImageFormat::Png)
            .map_err(|e| Error::Data(format!("preview: {e}")))?;
        "image/png"
    } else {
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 82)
            .encode_image(&scaled.to_rgb8())
            .map_err(|e| Error::Data(format!("preview: {e}")))?;
        "image/jpeg"
    };
    Ok(Pictured {
        dimensions,
        preview: Some((out.into_inner(), media_type)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        image.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    #[test]
    fn a_big_photo_gets_a_jpeg_preview_within_the_side() {
        let photo = DynamicImage::new_rgb8(1600, 1000);
        let bytes = encoded(&photo, ImageFormat::Png);
        let pictured = picture(&bytes, Raster::Png, (1600, 1000)).unwrap();
        assert_eq!(pictured.dimensions, (1600, 1000));
        let (preview, media_type) = pictured.preview.expect("a preview");
        assert_eq!(media_type, "image/jpeg");
        let back = image::load_from_memory(&preview).unwrap();
        assert_eq!((back.width(), back.height()), (640, 400));
    }

    #[test]
    fn transparency_stays_and_small_pictures_are_their_own_preview() {
        let logo = DynamicImage::new_rgba8(900, 300);
        let pictured = picture(&encoded(&logo, ImageFormat::Png), Raster::Png, (900, 300)).unwrap();
        assert_eq!(pictured.preview.unwrap().1, "image/png");
        let icon = DynamicImage::new_rgb8(64, 64);
        let pictured = picture(&encoded(&icon, ImageFormat::Png), Raster::Png, (64, 64)).unwrap();
        assert_eq!(pictured.preview, None);
    }

    #[test]
    fn a_photo_taken_upright_is_laid_out_upright() {
        // EXIF (big-endian TIFF): one entry, orientation 6, "rotate 90 degrees to show".
        let exif = vec![
            0x4D, 0x4D, 0x00, 0x2A, 0x00, 0x00, 0x00, 0x08, 0x00, 0x01, 0x01, 0x12, 0x00, 0x03,
            0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        ];
        let sideways = DynamicImage::new_rgb8(800, 400);
        let mut out = Cursor::new(Vec::new());
        let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80);
        image::ImageEncoder::set_exif_metadata(&mut encoder, exif).unwrap();
        encoder.encode_image(&sideways).unwrap();
        let bytes = out.into_inner();
        let pictured = picture(&bytes, Raster::Jpeg, (800, 400)).unwrap();
        assert_eq!(pictured.dimensions, (400, 800));
        let back = image::load_from_memory(&pictured.preview.expect("a preview").0).unwrap();
        assert_eq!((back.width(), back.height()), (320, 640));
    }

    #[test]
    fn a_damaged_picture_is_refused_and_a_huge_one_left_to_the_browser() {
        // A big PNG whose compressed pixels were overwritten in transit.
        let photo = DynamicImage::new_rgb8(800, 800);
        let mut bytes = encoded(&photo, ImageFormat::Png);
        let middle = bytes.len() / 2;
        bytes[middle - 8..middle + 8].fill(0xA5);
        assert!(matches!(
            picture(&bytes, Raster::Png, (800, 800)),
            Err(Error::Invalid {
                code: "corrupt_image",
                ..
            })
        ));
        let huge = picture(&[0; 10], Raster::Png, (5000, 5000)).unwrap();
        assert_eq!(
            huge.preview, None,
            "past the decode budget: not decoded at all"
        );
    }
}
