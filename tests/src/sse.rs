//! A small Server-Sent Events client over reqwest, for tests: frames as the wire has them.

use std::{pin::Pin, time::Duration};

use futures::{Stream, StreamExt};
use serde_json::Value;

/// One SSE frame.
#[derive(Debug, Clone, PartialEq)]
pub enum SseFrame {
    /// `retry:` in milliseconds, with the `id:` the stream starts after.
    Retry {
        /// `retry:`.
        after: u64,
        /// `id:`, if any.
        id: Option<String>,
    },
    /// A comment line.
    Comment(String),
    /// An event.
    Event {
        /// `id:`, if any.
        id: Option<String>,
        /// `event:`.
        kind: String,
        /// `data:` parsed as JSON.
        data: Value,
    },
}

/// An open event stream.
pub struct SseStream {
    body: Pin<Box<dyn Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>,
    buffer: String,
    ended: bool,
}

/// What waiting for a frame gave.
#[derive(Debug, PartialEq)]
pub enum Next {
    /// A frame.
    Frame(SseFrame),
    /// The server ended the stream.
    Ended,
    /// Nothing arrived in time.
    TimedOut,
}

impl SseStream {
    /// Wraps a successful `text/event-stream` response.
    pub fn new(response: reqwest::Response) -> Self {
        SseStream {
            body: Box::pin(response.bytes_stream()),
            buffer: String::new(),
            ended: false,
        }
    }

    fn parse(block: &str) -> Option<SseFrame> {
        let (mut id, mut kind, mut data, mut retry, mut comment) =
            (None, None, Vec::new(), None, None);
        for line in block.lines() {
            if let Some(text) = line.strip_prefix(':') {
                comment = Some(text.trim().to_owned());
            } else if let Some((field, value)) = line.split_once(':') {
                let value = value.strip_prefix(' ').unwrap_or(value);
                match field {
                    "id" => id = Some(value.to_owned()),
                    "event" => kind = Some(value.to_owned()),
                    "data" => data.push(value.to_owned()),
                    "retry" => retry = value.parse().ok(),
                    _ => {}
                }
            }
        }
        if let Some(kind) = kind {
            let data = serde_json::from_str(&data.join("\n")).unwrap_or(Value::Null);
            return Some(SseFrame::Event { id, kind, data });
        }
        retry
            .map(|after| SseFrame::Retry { after, id })
            .or(comment.map(SseFrame::Comment))
    }

    /// The next frame within `timeout`.
    pub async fn next(&mut self, timeout: Duration) -> Next {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if let Some(frame) = Self::parse(&block) {
                    return Next::Frame(frame);
                }
                continue;
            }
            if self.ended {
                return Next::Ended;
            }
            match tokio::time::timeout_at(deadline, self.body.next()).await {
                Err(_) => return Next::TimedOut,
                Ok(None) | Ok(Some(Err(_))) => self.ended = true,
                Ok(Some(Ok(chunk))) => self.buffer.push_str(&String::from_utf8_lossy(&chunk)),
            }
        }
    }

    /// The next event (skipping comments and retry), or `None` on end or timeout.
    pub async fn next_event(
        &mut self,
        timeout: Duration,
    ) -> Option<(Option<String>, String, Value)> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next(left).await {
                Next::Frame(SseFrame::Event { id, kind, data }) => return Some((id, kind, data)),
                Next::Frame(_) => continue,
                Next::Ended | Next::TimedOut => return None,
            }
        }
    }

    /// Every event until the stream ends or nothing comes for `quiet`.
    pub async fn drain_events(&mut self, quiet: Duration) -> Vec<(Option<String>, String, Value)> {
        let mut events = Vec::new();
        while let Some(event) = self.next_event(quiet).await {
            events.push(event);
        }
        events
    }
}
