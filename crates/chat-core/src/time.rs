//! Time as the service counts it: whole milliseconds (since the Unix epoch for instants,
//! as stored in SQLite) and timestamps as the API writes them: RFC 3339, UTC, millisecond
//! precision.

use std::time::Duration;

/// `d` in whole milliseconds, saturating (a duration too long for an `i64` is "forever").
pub fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The last millisecond `humantime` writes (9999-12-31T23:59:59.999Z).
const LAST_WRITABLE_MS: i64 = 253_402_300_799_999;

/// `ms` since the Unix epoch as `YYYY-MM-DDTHH:MM:SS.mmmZ` (by `humantime`). Stored
/// times come from the service's own clock; one outside 1970..=9999 (a corrupt row, a
/// broken host clock) is clamped to that range rather than allowed to panic the
/// formatter, which refuses both.
pub fn rfc3339_ms(ms: i64) -> String {
    let ms = u64::try_from(ms.clamp(0, LAST_WRITABLE_MS)).unwrap_or(0);
    let at = std::time::UNIX_EPOCH + Duration::from_millis(ms);
    humantime::format_rfc3339_millis(at).to_string()
}

/// A wall-clock instant as milliseconds since the epoch, saturating (before 1970 is 0),
/// for what a library hands over as a `SystemTime` (a passkey ceremony's expiry).
pub fn system_millis(at: std::time::SystemTime) -> i64 {
    at.duration_since(std::time::UNIX_EPOCH).map_or(0, millis)
}

#[cfg(test)]
mod tests {
    use super::{Duration, millis, rfc3339_ms};

    #[test]
    fn durations_count_in_saturating_milliseconds() {
        assert_eq!(millis(Duration::from_micros(1_999)), 1);
        assert_eq!(millis(Duration::from_secs(45)), 45_000);
        assert_eq!(millis(Duration::MAX), i64::MAX);
    }

    #[test]
    fn formats_known_instants() {
        assert_eq!(rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_ms(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(rfc3339_ms(1_795_461_678_684), "2026-11-23T19:21:18.684Z");
        assert_eq!(
            rfc3339_ms(-1),
            "1970-01-01T00:00:00.000Z",
            "clamped, no panic"
        );
        assert_eq!(
            rfc3339_ms(i64::MAX),
            "9999-12-31T23:59:59.999Z",
            "clamped, no panic"
        );
    }
}
