//! The Redis inbox: one stream per user (`chat:inbox:<user id>`), each entry holding one
//! field `e` = the event JSON. Appends to many inboxes, their trimming and the pub/sub
//! publish happen in one Lua script: one round trip, atomic. Readers block in `XREAD`.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use super::{hard_limit, trim_slack, unique};
use crate::{
    Error, Result,
    ids::UserId,
    ports::{
        APPEND_DEDUP_WINDOW, BusBackend, CursorStatus, Delivered, Envelope, EventId, Inbox,
        RedisArg, RedisCommands, RedisReply, SETTLED_DEDUP_WINDOW,
    },
    settings::Settings,
    time::millis,
};

const KEY_PREFIX: &str = "chat:inbox:";

/// XADD to every key, trim each to "newest N, or newer than the cutoff, whichever keeps
/// more", but never more than the hard limit, then PUBLISH once. Trimming runs only when a
/// stream exceeds N by the slack, and then reads just the excess (XRANGE COUNT), so its
/// cost is spread over many appends.
/// An event key is remembered as `chat:appended:<key>` for the dedup window: a second
/// append under it returns 0 and touches nothing (the script runs atomically, so the first
/// either appended to every inbox or never ran).
/// ARGV: payload, retention N, slack, retention age ms, channel ('' = none), message,
/// hard limit, event key ('' = none), dedup window ms.
const APPEND_SCRIPT: &str = r#"
if ARGV[8] ~= '' then
  if not redis.call('SET', 'chat:appended:' .. ARGV[8], '1', 'NX', 'PX', ARGV[9]) then
    return 0
  end
end
local keep = tonumber(ARGV[2])
local slack = tonumber(ARGV[3])
local t = redis.call('TIME')
local cutoff = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) - tonumber(ARGV[4])
for _, key in ipairs(KEYS) do
  redis.call('XADD', key, '*', 'e', ARGV[1])
  local len = redis.call('XLEN', key)
  if len > keep + slack then
    -- Nothing is a day old while the oldest entry is not: then only the hard limit
    -- applies, and the excess is never read (an inbox busy all day stays cheap).
    local head = redis.call('XRANGE', key, '-', '+', 'COUNT', 1)
    local head_ms = tonumber(string.match(head[1][1], '^(%d+)'))
    if head_ms <= cutoff then
      local oldest = redis.call('XRANGE', key, '-', '+', 'COUNT', len - keep + 1)
      local first_kept = oldest[#oldest][1]
      local first_kept_ms = tonumber(string.match(first_kept, '^(%d+)'))
      local min_id = first_kept
      if cutoff < first_kept_ms then min_id = string.format('%d-0', cutoff) end
      redis.call('XTRIM', key, 'MINID', min_id)
    end
    if redis.call('XLEN', key) > tonumber(ARGV[7]) then
      redis.call('XTRIM', key, 'MAXLEN', tonumber(ARGV[7]))
    end
  end
end
if ARGV[5] ~= '' then redis.call('PUBLISH', ARGV[5], ARGV[6]) end
return #KEYS
"#;

/// 1 when reading after ARGV[1] misses nothing; 0 when the stream never issued it, or it
/// is older than what is retained. Trimming only removes the oldest entries, and Redis 7.0
/// does not count XTRIM in `max-deleted-entry-id` (only XDEL), so "something was trimmed"
/// is `entries-added > length`, and then any cursor before the first retained entry
/// (`recorded-first-entry-id`) may have missed events.
///
/// A Redis that lost its data (restarted without persistence, or evicted the key) must
/// not pass for one that kept it: every cursor a stream hands out is `0-0` or the id of
/// one of its entries, so a cursor other than `0-0` that lies before the first entry of
/// an untrimmed stream was issued by a stream that is gone. That is a gap too, and the
/// client reloads state (`resync`) instead of silently missing what was lost.
const CURSOR_SCRIPT: &str = r#"
local function parse(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
local function less(a, b)
  local am, as = parse(a)
  local bm, bs = parse(b)
  return am < bm or (am == bm and as < bs)
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  if ARGV[1] == '0-0' then return 1 end
  return 0
end
local info = redis.call('XINFO', 'STREAM', KEYS[1])
local field = {}
for i = 1, #info, 2 do field[info[i]] = info[i + 1] end
local last = field['last-generated-id'] or '0-0'
local deleted = field['max-deleted-entry-id'] or '0-0'
local first = field['recorded-first-entry-id'] or '0-0'
local trimmed = tonumber(field['entries-added'] or 0) > tonumber(field['length'] or 0)
if less(last, ARGV[1]) or less(ARGV[1], deleted) then return 0 end
if less(ARGV[1], first) and (trimmed or ARGV[1] ~= '0-0') then return 0 end
return 1
"#;

/// Of the event keys in ARGV (ARGV[1] = the settled window in ms), those whose append
/// marker exists; each found is shortened to the settled window.
const SETTLED_SCRIPT: &str = r#"
local found = {}
for i = 2, #ARGV do
  local marker = 'chat:appended:' .. ARGV[i]
  if redis.call('PEXPIRE', marker, ARGV[1]) == 1 then table.insert(found, ARGV[i]) end
end
return found
"#;

/// Adds an entry to the bell stream (KEYS[1]) and keeps it for ARGV[1] ms after the last
/// ring: a bell outlives its process by minutes, not forever.
const RING_SCRIPT: &str = r#"
redis.call('XADD', KEYS[1], 'MAXLEN', 1, '*', 'e', 'ring')
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
"#;

/// How long a bell stream stays after its last ring.
const BELL_KEPT: Duration = Duration::from_secs(5 * 60);

/// Inboxes in Redis Streams.
pub struct RedisInbox {
    redis: Arc<dyn RedisCommands>,
    retention: u32,
    retention_age: Duration,
    channel: String,
    /// This inbox's bell (`chat:bell:<random>`): a stream its [`Inbox::read_many`] also
    /// waits on, so that [`Inbox::ring`] (one XADD) ends the wait.
    bell: String,
    /// The bell's newest entry a read has seen: the next read waits for a later one.
    bell_seen: Mutex<String>,
}

impl RedisInbox {
    /// An inbox over `redis`, trimming and publishing as `settings` say. `bell_name` must be
    /// unique in the deployment (random): it names the bell its readers wait on.
    pub fn new(redis: Arc<dyn RedisCommands>, settings: &Settings, bell_name: &str) -> Self {
        RedisInbox {
            redis,
            retention: settings.inbox_retention,
            retention_age: settings.inbox_retention_age,
            channel: settings.pubsub_channel.clone(),
            bell: format!("chat:bell:{bell_name}"),
            bell_seen: Mutex::new("0-0".to_owned()),
        }
    }
}

/// A stream id as numbers, for ordering (`None` if it is not one).
fn stream_id_order(id: &str) -> Option<(u64, u64)> {
    let (ms, seq) = id.split_once('-')?;
    Some((ms.parse().ok()?, seq.parse().ok()?))
}

fn key(user: &str) -> String {
    format!("{KEY_PREFIX}{user}")
}

/// A Redis stream id: `<ms>-<seq>`, both decimal.
fn is_stream_id(id: &str) -> bool {
    match id.split_once('-') {
        Some((ms, seq)) => {
            !ms.is_empty()
                && !seq.is_empty()
                && ms.len() <= 20
                && seq.len() <= 20
                && ms.bytes().all(|b| b.is_ascii_digit())
                && seq.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

/// Splits flattened stream entries into events: Spin flattens `[[id, [field, value]], ...]`
/// into `id, field, value, id, field, value...` (an XRANGE reply, or one key's part of an
/// XREAD reply, which [`Inbox::read_many`] splits by key); a timed-out XREAD is a single nil.
fn parse_entries(replies: &[RedisReply]) -> Result<Vec<Delivered>> {
    let entries = match replies {
        [] | [RedisReply::Nil] => return Ok(Vec::new()),
        all => all,
    };
    if entries.len() % 3 != 0 {
        return Err(Error::Bus(format!(
            "unexpected stream reply of {} elements",
            entries.len()
        )));
    }
    entries
        .chunks_exact(3)
        .map(|triple| {
            let id = triple[0]
                .as_text()
                .ok_or_else(|| Error::Bus("stream entry id is not text".into()))?;
            let payload = triple[2]
                .as_text()
                .ok_or_else(|| Error::Bus("stream entry is not text".into()))?;
            Ok(Delivered {
                id: EventId(id.to_owned()),
                json: payload.to_owned(),
            })
        })
        .collect()
}

#[async_trait::async_trait]
impl Inbox for RedisInbox {
    fn backend(&self) -> BusBackend {
        BusBackend::Redis
    }

    async fn append(&self, recipients: &[UserId], envelope: &Envelope) -> Result<()> {
        let recipients = unique(recipients);
        if recipients.is_empty() {
            return Ok(());
        }
        // `{"recipients": [..], "event": {..}}`, the event's JSON spliced in as it is.
        let names = serde_json::to_string(&recipients).map_err(|e| Error::Data(e.to_string()))?;
        let published = format!(r#"{{"recipients":{names},"event":{}}}"#, envelope.json);
        let mut args: Vec<RedisArg> = Vec::with_capacity(recipients.len() + 8);
        args.push(APPEND_SCRIPT.into());
        args.push(RedisArg::Int(
            i64::try_from(recipients.len()).unwrap_or(i64::MAX),
        ));
        args.extend(recipients.iter().map(|r| RedisArg::from(key(r))));
        args.push(envelope.json.as_str().into());
        args.push(RedisArg::Int(i64::from(self.retention)));
        args.push(RedisArg::Int(i64::from(trim_slack(self.retention))));
        args.push(RedisArg::Int(millis(self.retention_age)));
        args.push(self.channel.as_str().into());
        args.push(published.into());
        args.push(RedisArg::Int(i64::from(hard_limit(self.retention))));
        args.push(envelope.key.as_deref().unwrap_or("").into());
        args.push(RedisArg::Int(millis(APPEND_DEDUP_WINDOW)));
        self.redis.execute("EVAL", args).await.map(drop)
    }

    async fn settled(&self, keys: &[String]) -> Result<Vec<String>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut args: Vec<RedisArg> = Vec::with_capacity(keys.len() + 3);
        args.push(SETTLED_SCRIPT.into());
        args.push(0.into());
        args.push(RedisArg::Int(millis(SETTLED_DEDUP_WINDOW)));
        args.extend(keys.iter().map(|k| RedisArg::from(k.as_str())));
        let reply = self.redis.execute("EVAL", args).await?;
        Ok(reply
            .iter()
            .filter_map(RedisReply::as_text)
            .map(str::to_owned)
            .collect())
    }

    async fn latest(&self, user: &UserId) -> Result<EventId> {
        let reply = self
            .redis
            .execute(
                "XREVRANGE",
                vec![
                    key(user.as_str()).into(),
                    "+".into(),
                    "-".into(),
                    "COUNT".into(),
                    1.into(),
                ],
            )
            .await?;
        let newest = parse_entries(&reply)?;
        Ok(newest
            .into_iter()
            .next()
            .map_or_else(|| EventId("0-0".into()), |d| d.id))
    }

    async fn cursor_status(&self, user: &UserId, cursor: &EventId) -> Result<CursorStatus> {
        if !is_stream_id(&cursor.0) {
            return Ok(CursorStatus::Gap);
        }
        let reply = self
            .redis
            .execute(
                "EVAL",
                vec![
                    CURSOR_SCRIPT.into(),
                    1.into(),
                    key(user.as_str()).into(),
                    cursor.0.as_str().into(),
                ],
            )
            .await?;
        Ok(match reply.first().and_then(RedisReply::as_int) {
            Some(1) => CursorStatus::Resumable,
            _ => CursorStatus::Gap,
        })
    }

    /// A read of one inbox is a [`Inbox::read_many`] of one reader: one `XREAD` path.
    async fn read(
        &self,
        user: &UserId,
        cursor: &EventId,
        wait: Duration,
        max: usize,
    ) -> Result<Vec<Delivered>> {
        let readers = [(user.clone(), cursor.clone())];
        let mut batches = self.read_many(&readers, wait, max).await?;
        Ok(batches.pop().unwrap_or_default())
    }

    /// One `XREAD` over every reader's inbox and the bell. Readers of the same user share
    /// their inbox's key (read from the oldest of their cursors, each then keeping what
    /// lies after its own). The host flattens the reply into one list: a key, then its
    /// entries as (id, `e`, payload) triples, then the next key; keys are told from ids
    /// by being exactly one of the keys asked for.
    async fn read_many(
        &self,
        readers: &[(UserId, EventId)],
        wait: Duration,
        max: usize,
    ) -> Result<Vec<Vec<Delivered>>> {
        let mut oldest: HashMap<String, &EventId> = HashMap::new();
        for (user, cursor) in readers {
            let order = stream_id_order(&cursor.0).ok_or_else(Error::invalid_cursor)?;
            let slot = oldest.entry(key(user.as_str())).or_insert(cursor);
            if stream_id_order(&slot.0).is_some_and(|kept| order < kept) {
                *slot = cursor;
            }
        }
        let bell_seen = self
            .bell_seen
            .lock()
            .map(|seen| seen.clone())
            .unwrap_or_else(|_| "0-0".to_owned());
        let count = i64::try_from(max.max(1)).unwrap_or(i64::MAX);
        let block_ms = millis(wait);
        let mut args: Vec<RedisArg> = vec!["COUNT".into(), count.into()];
        if block_ms > 0 {
            args.extend(["BLOCK".into(), block_ms.into()]);
        }
        args.push("STREAMS".into());
        let keys: Vec<&String> = oldest.keys().collect();
        args.extend(keys.iter().map(|k| RedisArg::from(k.as_str())));
        args.push(self.bell.as_str().into());
        args.extend(keys.iter().map(|k| RedisArg::from(oldest[*k].0.as_str())));
        args.push(bell_seen.as_str().into());
        let reply = if block_ms > 0 {
            self.redis.execute_blocking("XREAD", args).await?
        } else {
            self.redis.execute("XREAD", args).await?
        };
        let mut by_key: HashMap<&str, Vec<RedisReply>> = HashMap::new();
        let mut current: Option<&str> = None;
        for item in &reply {
            let text = item.as_text();
            if let Some((k, _)) = text.and_then(|t| oldest.get_key_value(t)) {
                current = Some(k.as_str());
            } else if text == Some(self.bell.as_str()) {
                current = Some(self.bell.as_str());
            } else if let Some(k) = current {
                by_key.entry(k).or_default().push(item.clone());
            } else if !matches!(item, RedisReply::Nil) {
                return Err(Error::Bus("stream reply does not start with a key".into()));
            }
        }
        if let Some(rings) = by_key.remove(self.bell.as_str())
            && let Some(newest) = rings
                .chunks_exact(3)
                .filter_map(|t| t[0].as_text())
                .next_back()
            && let Ok(mut seen) = self.bell_seen.lock()
        {
            *seen = newest.to_owned();
        }
        let mut entries: HashMap<&str, Vec<Delivered>> = HashMap::new();
        for (k, items) in by_key {
            entries.insert(k, parse_entries(&items)?);
        }
        Ok(readers
            .iter()
            .map(|(user, cursor)| {
                let after = stream_id_order(&cursor.0);
                entries
                    .get(key(user.as_str()).as_str())
                    .map(|got| {
                        got.iter()
                            .filter(|d| stream_id_order(&d.id.0) > after)
                            .cloned()
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .collect())
    }

    async fn ring(&self) -> Result<()> {
        let args = vec![
            RING_SCRIPT.into(),
            RedisArg::Int(1),
            self.bell.as_str().into(),
            RedisArg::Int(millis(BELL_KEPT)),
        ];
        self.redis.execute("EVAL", args).await.map(drop)
    }

    async fn ping(&self) -> Result<()> {
        let reply = self.redis.execute("PING", Vec::new()).await?;
        match reply.first().and_then(RedisReply::as_text) {
            Some("PONG") => Ok(()),
            other => Err(Error::Bus(format!("unexpected PING reply {other:?}"))),
        }
    }
}

#[cfg(test)]
mod tests;
