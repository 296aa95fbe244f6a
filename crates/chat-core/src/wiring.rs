//! The bundle of ports a request handler works with, and its assembly from what a host
//! supplies: its own module, so that neither the ports nor the settings need the other.

use std::sync::Arc;

use crate::{
    blobs::SqlBlobs,
    bus::{RedisInbox, RedisLimiter, SharedWaits, SqlInbox, SqlLimiter},
    ports::{BlobStore, Clock, Inbox, Limiter, Random, RedisCommands, Sql},
    settings::Settings,
};

/// Everything a request handler needs from the outside world, bundled.
///
/// Cheap to clone. Built once per process on the native host, once per instance on Spin 4
/// (WASIp3: an instance serves many requests), once per request on WASIp2.
#[derive(Clone)]
pub struct Ports {
    /// The SQLite store.
    pub sql: Arc<dyn Sql>,
    /// Per-user event inboxes (Redis Streams or the SQLite table).
    pub inbox: Arc<dyn Inbox>,
    /// Rate limiting counters.
    pub limiter: Arc<dyn Limiter>,
    /// Attachments' and avatars' bytes (parts as rows of the SQL store).
    pub blobs: Arc<dyn BlobStore>,
    /// Wall clock and sleeping.
    pub clock: Arc<dyn Clock>,
    /// Randomness for ids and tokens.
    pub random: Arc<dyn Random>,
    /// Parsed settings.
    pub settings: Arc<Settings>,
}

impl Ports {
    /// Wires the ports: with a Redis connection the inbox and limiter use Redis, without
    /// one (embedded mode) they use the SQLite tables.
    pub fn assemble(
        sql: Arc<dyn Sql>,
        redis: Option<Arc<dyn RedisCommands>>,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
        settings: Arc<Settings>,
    ) -> Ports {
        let (inbox, limiter): (Arc<dyn Inbox>, Arc<dyn Limiter>) = match redis {
            Some(redis) => (
                Arc::new(RedisInbox::new(
                    redis.clone(),
                    &settings,
                    &bell_name(clock.as_ref(), random.as_ref()),
                )),
                Arc::new(RedisLimiter::new(redis, clock.clone())),
            ),
            None => (
                Arc::new(SqlInbox::new(sql.clone(), clock.clone(), &settings)),
                Arc::new(SqlLimiter::new(sql.clone(), clock.clone())),
            ),
        };
        // The streams served by these ports wait together (one read for all of them).
        let inbox: Arc<dyn Inbox> = Arc::new(SharedWaits::new(inbox, clock.clone()));
        Ports {
            blobs: Arc::new(SqlBlobs::new(sql.clone(), clock.clone())),
            sql,
            inbox,
            limiter,
            clock,
            random,
            settings,
        }
    }
}

/// A name for this set of ports' inbox bell, unique in the deployment: random, or (if the
/// host's randomness failed, which it does not) the clock's milliseconds.
fn bell_name(clock: &dyn Clock, random: &dyn Random) -> String {
    crate::ports::random_hex(random, 12).unwrap_or_else(|_| clock.now_ms().to_string())
}
