//! How fast one user may do each thing that reaches other people's inboxes: one table, so
//! no write that fans out is unbounded. Sends have their own configurable rate
//! (`messages_burst`, `messages_per_second`); logins and signups theirs (accounts). The
//! rates here are generous for a person at a keyboard and tight for a script: a burst,
//! then a steady trickle. Past them the request gets 429 with `Retry-After` and changes
//! nothing.

use crate::{Ports, Result, ids::UserId, ports::Rate};

/// A write that fans out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Editing or deleting an own message: every member gets an event.
    ChangeMessage,
    /// `typing`: every other member gets an event.
    Typing,
    /// A nudge: a burst of 3, then one every 10 s.
    Nudge,
    /// Moving a read mark: every member gets `read`.
    MarkRead,
    /// Opening a direct conversation, creating, joining or leaving a room.
    Membership,
    /// A room's title or topic: every member gets `conversation_updated`.
    RoomDetails,
    /// Keeping a room: removing, banning, appointing, changing the invite link,
    /// dismissing reports. Every member gets an event.
    Moderate,
    /// Reporting a message: the room's moderators get an event.
    Report,
    /// Searching the room directory: a read, but one that scans public rooms.
    Directory,
    /// Searching one's messages: a read, but a full-text query over every conversation
    /// one is in (typing as you go fits the burst).
    Search,
    /// Finding people, by prefix or by exact username: a read, but one that would list
    /// every account to someone walking the alphabet (typing as you go fits the burst).
    People,
    /// Adding or taking back a reaction: every member gets `reaction`.
    React,
    /// Muting, hiding: the caller's own tabs get `preferences`.
    Preferences,
    /// Display name or status message: every friend gets `profile`.
    Profile,
    /// Chosen presence: every friend gets `presence`.
    Presence,
    /// Friend requests, accepting, declining, cancelling, unfriending, blocking.
    Relations,
    /// The publish API, counted per recipient: one user's inbox cannot be flooded.
    PublishTo,
}

impl Action {
    /// Its bucket: burst, then tokens per second.
    pub fn rate(self) -> Rate {
        match self {
            Action::ChangeMessage => Rate::bucket(10, 1.0),
            Action::Typing => Rate::bucket(10, 1.0),
            Action::Nudge => Rate::bucket(3, 0.1),
            Action::MarkRead => Rate::bucket(30, 2.0),
            Action::Membership => Rate::bucket(20, 0.5),
            Action::RoomDetails => Rate::bucket(10, 0.2),
            Action::Moderate => Rate::bucket(30, 1.0),
            Action::Report => Rate::bucket(5, 0.05),
            Action::Directory => Rate::bucket(30, 2.0),
            Action::Search => Rate::bucket(30, 2.0),
            Action::People => Rate::bucket(30, 2.0),
            Action::React => Rate::bucket(20, 2.0),
            Action::Preferences => Rate::bucket(20, 1.0),
            Action::Profile => Rate::bucket(10, 0.2),
            Action::Presence => Rate::bucket(10, 0.5),
            Action::Relations => Rate::bucket(20, 0.2),
            Action::PublishTo => Rate::bucket(200, 20.0),
        }
    }

    fn key(self) -> &'static str {
        match self {
            Action::ChangeMessage => "change",
            Action::Typing => "typing",
            Action::Nudge => "nudge",
            Action::MarkRead => "read",
            Action::Membership => "membership",
            Action::RoomDetails => "room",
            Action::Moderate => "moderate",
            Action::Report => "report",
            Action::Directory => "directory",
            Action::Search => "search",
            Action::People => "people",
            Action::React => "react",
            Action::Preferences => "preferences",
            Action::Profile => "profile",
            Action::Presence => "presence",
            Action::Relations => "relations",
            Action::PublishTo => "publish",
        }
    }
}

/// Recipients a write may reach without being charged for them: a conversation this size
/// or smaller is bounded well enough by the per-action rates (a send is 5 a second at most,
/// so 100 deliveries a second), and the send path of a chat between a few people keeps its
/// one limiter call.
pub const FREE_RECIPIENTS: usize = 20;

/// Charges `who` for a write that reaches `recipients` inboxes (ASVS 2.4: a large room costs
/// its sender what it costs the server): a bucket of `deliveries_per_second` a second with
/// ten seconds' worth of burst, taken whole or not at all; 429 when it cannot be. Writes to
/// [`FREE_RECIPIENTS`] or fewer are free.
pub async fn charge_deliveries(ports: &Ports, who: &UserId, recipients: usize) -> Result<()> {
    if recipients <= FREE_RECIPIENTS {
        return Ok(());
    }
    let per_second = ports.settings.deliveries_per_second;
    let rate = Rate::bucket(per_second.saturating_mul(10), f64::from(per_second));
    let cost = u32::try_from(recipients).unwrap_or(u32::MAX);
    ports
        .limiter
        .acquire_many(&format!("deliveries:{who}"), rate, cost)
        .await?
        .into_result()
}

/// The address buckets one client counts in, each with how many times one address's
/// allowance it holds. An IPv4 address is one bucket. An IPv6 client arrives as its /64
/// (`2001:db8:1:2::/64`, see chat-http's `throttle_address`), and counts in the /56 (4x)
/// and the /48 (16x) around it too: a customer's /56 or a site's /48 holds 256 or 65,536
/// /64s, so per-/64 buckets alone let one holder of a /48 guess 65,536 times as fast.
pub fn address_buckets(address: &str) -> Vec<(String, u32)> {
    let mut buckets = vec![(address.to_owned(), 1)];
    if let Some(v6) = address
        .strip_suffix("/64")
        .and_then(|prefix| prefix.parse::<std::net::Ipv6Addr>().ok())
    {
        let s = v6.segments();
        let p56 = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3] & 0xff00, 0, 0, 0, 0);
        let p48 = std::net::Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0);
        buckets.push((format!("{p56}/56"), 4));
        buckets.push((format!("{p48}/48"), 16));
    }
    buckets
}

/// Takes a token for `action` by `who` (a user id); 429 when the bucket is empty.
pub async fn take(ports: &Ports, action: Action, who: &UserId) -> Result<()> {
    ports
        .limiter
        .acquire(&format!("{}:{who}", action.key()), action.rate())
        .await?
        .into_result()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_client_counts_in_its_56_and_48_too() {
        assert_eq!(
            address_buckets("203.0.113.9"),
            [("203.0.113.9".to_owned(), 1)]
        );
        assert_eq!(
            address_buckets("2001:db8:1:2a3::/64"),
            [
                ("2001:db8:1:2a3::/64".to_owned(), 1),
                ("2001:db8:1:200::/56".to_owned(), 4),
                ("2001:db8:1::/48".to_owned(), 16),
            ]
        );
        assert_eq!(address_buckets("unknown"), [("unknown".to_owned(), 1)]);
    }

    #[test]
    fn every_action_has_its_own_bucket_that_refills() {
        let all = [
            Action::ChangeMessage,
            Action::Typing,
            Action::Nudge,
            Action::MarkRead,
            Action::Membership,
            Action::RoomDetails,
            Action::Directory,
            Action::Search,
            Action::People,
            Action::React,
            Action::Preferences,
            Action::Profile,
            Action::Presence,
            Action::Relations,
            Action::PublishTo,
        ];
        let keys: std::collections::BTreeSet<_> = all.iter().map(|a| a.key()).collect();
        assert_eq!(keys.len(), all.len());
        for action in all {
            let rate = action.rate();
            assert!(rate.burst >= 3 && rate.per_second > 0.0, "{action:?}");
        }
    }
}
