// The live event stream: one EventSource per tab. The browser reconnects by itself after
// each clean end (the server closes every `stream_seconds`, with `retry: 1000`) and sends
// Last-Event-ID (the last event's, or the cursor the stream opened with). But an
// EventSource closes for good on any non-200 answer (a 503 while Redis is down, a
// restarting server), so then this module opens a new one itself, with backoff and the
// last id it saw (`?last_event_id=`), and nothing is missed. A stream that delivered no
// event gave this module no id to resume from: what the new one cannot replay is then
// loaded afresh (a `resync`).

import { api } from "./api.js";

/** Every event type of docs/api.md. */
export const EVENT_TYPES = [
  "message", "message_edited", "message_deleted", "typing", "nudge", "read", "presence",
  "profile", "friend_request", "friend_added", "friend_removed", "conversation_added",
  "conversation_updated", "reaction", "preferences", "member_joined", "member_left", "member_role", "report", "notification", "session_ended", "resync",
];

const MAX_BACKOFF_MS = 30_000;
/**
 * How long the browser's own reconnect may take before the page says "Reconnecting": the
 * server ends every stream after `stream_seconds` and the browser is back within a second
 * or so, which a person should never see.
 */
export const QUIET_RECONNECT_MS = 4000;

/**
 * Connection states reported to `onState`: "connecting", "live", "reconnecting",
 * "unavailable" (the API answers 503) and "signed_out" (the session is gone).
 */
export class EventStream {
  constructor({ onEvent, onState }) {
    this.onEvent = onEvent;
    this.onState = onState;
    this.lastEventId = null;
    this.source = null;
    this.failures = 0;
    this.timer = null;
    this.quietTimer = null;
    this.stopped = true;
    this.opened = false; // a stream has been open since start()
  }

  start() {
    this.stopped = false;
    this.opened = false;
    this.open();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.endQuietWait();
    this.source?.close();
    this.source = null;
  }

  /** Reconnects at once (the network came back, the tab woke up). */
  kick() {
    if (this.stopped || this.source?.readyState === EventSource.OPEN) return;
    clearTimeout(this.timer);
    this.source?.close();
    this.open();
  }

  open() {
    const url = this.lastEventId
      ? `/api/events?last_event_id=${encodeURIComponent(this.lastEventId)}`
      : "/api/events";
    this.onState(this.failures ? "reconnecting" : "connecting");
    const source = new EventSource(url);
    this.source = source;
    const resumed = Boolean(this.lastEventId);
    let firstOpen = true;
    source.onopen = () => {
      this.failures = 0;
      this.endQuietWait();
      this.onState("live");
      // A new stream that could not resume (the last one delivered no event to take an
      // id from) starts at the inbox's end: whatever came meanwhile is loaded instead.
      // The browser's own reconnects of one EventSource resume by themselves.
      if (firstOpen && this.opened && !resumed) this.onEvent("resync", {});
      firstOpen = false;
      this.opened = true;
    };
    source.onerror = () => {
      if (this.source !== source || this.stopped) return;
      if (source.readyState === EventSource.CONNECTING) {
        // The browser retries by itself (a clean end, or a dropped connection): say so
        // only if that takes longer than a routine renewal does.
        this.quietTimer ??= setTimeout(() => {
          this.quietTimer = null;
          if (this.source === source && !this.stopped) this.onState("reconnecting");
        }, QUIET_RECONNECT_MS);
        return;
      }
      this.endQuietWait();
      source.close();
      this.retryLater();
    };
    for (const type of EVENT_TYPES) {
      source.addEventListener(type, (event) => {
        if (this.source !== source) return;
        if (event.lastEventId) this.lastEventId = event.lastEventId;
        let data = {};
        try {
          data = JSON.parse(event.data);
        } catch {
          return;
        }
        this.onEvent(type, data);
      });
    }
  }

  endQuietWait() {
    clearTimeout(this.quietTimer);
    this.quietTimer = null;
  }

  /** Closed for good by the browser: find out why, then open a new stream after a wait. */
  async retryLater() {
    this.failures += 1;
    const wait = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(this.failures - 1, 5));
    const jittered = wait / 2 + Math.random() * (wait / 2);
    const status = await api.health();
    if (this.stopped) return;
    if (status === 200) {
      // The service is up, so the stream itself was refused: is the session still valid?
      try {
        await api.session();
      } catch (error) {
        if (error.status === 401) {
          this.stop();
          this.onState("signed_out");
          return;
        }
      }
    }
    this.onState(status === 503 ? "unavailable" : "reconnecting", jittered);
    this.timer = setTimeout(() => this.open(), jittered);
  }
}
