//! The events serialise to exactly the JSON docs/api.md documents.

use serde_json::{Value, json};

use super::*;
use crate::{
    ids::{ConversationId, MessageId, UserId},
    model::{
        Conversation, ConversationKind, Friend, FriendRequest, Message, Presence, Reaction,
        ReplyQuote, Role, User, UserSummary,
    },
};

fn c1() -> ConversationId {
    ConversationId::from_raw("c1")
}

fn u1() -> UserId {
    UserId::from_raw("u1")
}

fn summary(name: &str, presence: Presence) -> UserSummary {
    UserSummary {
        id: UserId::from_raw(format!("id-{name}")),
        username: name.to_owned(),
        display_name: name.to_uppercase(),
        status_message: String::new(),
        presence,
        last_seen_at: None,
        avatar_url: None,
    }
}

fn user(name: &str) -> User {
    User {
        id: UserId::from_raw(format!("id-{name}")),
        username: name.to_owned(),
        display_name: name.to_uppercase(),
        status_message: "hi".to_owned(),
        presence: Presence::Busy,
        created_at: "2026-01-01T00:00:00.000Z".to_owned(),
        avatar_url: None,
    }
}

fn message() -> Message {
    Message {
        id: MessageId::from_raw("m1"),
        conversation_id: c1(),
        seq: 3,
        sender: summary("ann", Presence::Online),
        body: "hello".to_owned(),
        client_id: "k1".to_owned(),
        created_at: "2026-01-01T00:00:00.000Z".to_owned(),
        edited_at: None,
        deleted: false,
        reply_to: Some(ReplyQuote {
            id: MessageId::from_raw("m0"),
            seq: 2,
            sender_id: UserId::from_raw("id-bob"),
            sender_name: "BOB".to_owned(),
            excerpt: "how are you?".to_owned(),
            deleted: false,
        }),
        reactions: vec![Reaction {
            emoji: "👍".to_owned(),
            count: 2,
            user_ids: vec![UserId::from_raw("id-bob"), UserId::from_raw("id-cat")],
        }],
        mentions: vec!["bob".to_owned()],
        attachments: vec![crate::attachments::Attachment {
            id: crate::ids::AttachmentId::from_raw("a1"),
            name: "cat.png".to_owned(),
            content_type: "image/png".to_owned(),
            size: 1234,
            width: Some(40),
            height: Some(30),
            url: "/api/conversations/c1/attachments/a1".to_owned(),
            preview_url: Some("/api/conversations/c1/attachments/a1/preview".to_owned()),
        }],
    }
}

fn summary_json(name: &str, presence: &str) -> Value {
    json!({
        "id": format!("id-{name}"), "username": name, "display_name": name.to_uppercase(),
        "status_message": "", "presence": presence, "avatar_url": null,
    })
}

/// The stored form, the wire form, and the round trip through the store, at once.
fn check(event: Event, kind: &str, data: Value) {
    assert_eq!(event.payload.kind(), kind);
    let wire: Value = serde_json::from_str(&event.payload.data_json()).expect("json");
    assert_eq!(wire, data, "{kind}");
    let stored = serde_json::to_value(&event).expect("serialise");
    assert_eq!(stored["kind"], kind);
    assert_eq!(stored["data"], data);
    let read: Event = serde_json::from_value(stored).expect("read back");
    assert_eq!(read, event.clone().keyed_none(), "{kind}");
}

impl Event {
    fn keyed_none(self) -> Self {
        Event { key: None, ..self }
    }
}

#[test]
fn message_events_carry_the_message_with_the_sender_offline() {
    let message_json = json!({
        "id": "m1", "conversation_id": "c1", "seq": 3,
        "sender": summary_json("ann", "offline"), "body": "hello", "client_id": "k1",
        "created_at": "2026-01-01T00:00:00.000Z", "edited_at": null, "deleted": false,
        "reply_to": { "id": "m0", "seq": 2, "sender_id": "id-bob", "sender_name": "BOB",
                      "excerpt": "how are you?", "deleted": false },
        "reactions": [{ "emoji": "👍", "count": 2, "user_ids": ["id-bob", "id-cat"] }],
        "mentions": ["bob"],
        "attachments": [{"id": "a1", "name": "cat.png", "content_type": "image/png",
                         "size": 1234, "width": 40, "height": 30,
                         "url": "/api/conversations/c1/attachments/a1",
                         "preview_url": "/api/conversations/c1/attachments/a1/preview"}],
    });
    let data = json!({ "conversation_id": "c1", "message": message_json });
    check(Event::message(&message()), "message", data.clone());
    check(
        Event::message_edited(&message()),
        "message_edited",
        data.clone(),
    );
    check(
        Event::message_deleted(&message(), None),
        "message_deleted",
        data.clone(),
    );
    let mut by_moderator = data;
    by_moderator["deleted_by"] = json!("u1");
    check(
        Event::message_deleted(&message(), Some(&u1())),
        "message_deleted",
        by_moderator,
    );
}

#[test]
fn typing_is_live_only_and_says_when_it_lapses() {
    let event = Event::typing(&c1(), &user("ann"), true, 1_000, 7_000);
    assert_eq!(
        event.ephemeral,
        Some(Ephemeral {
            sent_ms: 1_000,
            expires_ms: 7_000
        })
    );
    check(
        event,
        "typing",
        json!({
            "conversation_id": "c1", "user_id": "id-ann", "username": "ann",
            "display_name": "ANN", "typing": true, "expires_at": "1970-01-01T00:00:07.000Z",
        }),
    );
}

#[test]
fn small_events_have_their_documented_shapes() {
    check(
        Event::nudge(&c1(), &user("ann"), 0),
        "nudge",
        json!({ "conversation_id": "c1", "user_id": "id-ann", "username": "ann",
                "display_name": "ANN", "sent_at": "1970-01-01T00:00:00.000Z" }),
    );
    check(
        Event::read(&c1(), &u1(), 4),
        "read",
        json!({ "conversation_id": "c1", "user_id": "u1", "seq": 4 }),
    );
    check(
        Event::presence(&u1(), Presence::Away),
        "presence",
        json!({ "user_id": "u1", "presence": "away" }),
    );
    check(
        Event::friend_removed(&u1()),
        "friend_removed",
        json!({ "user_id": "u1" }),
    );
    check(
        Event::member_left(&c1(), &u1()),
        "member_left",
        json!({ "conversation_id": "c1", "user_id": "u1" }),
    );
    check(
        Event::member_removed(&c1(), &u1(), &UserId::from_raw("u2"), true),
        "member_left",
        json!({ "conversation_id": "c1", "user_id": "u1", "removed_by": "u2", "banned": true }),
    );
    check(
        Event::member_role(&c1(), &u1(), Role::Moderator, Some(&UserId::from_raw("u2"))),
        "member_role",
        json!({ "conversation_id": "c1", "user_id": "u1", "role": "moderator", "by": "u2" }),
    );
    check(
        Event::owner_by_succession(&c1(), &u1()),
        "member_role",
        json!({ "conversation_id": "c1", "user_id": "u1", "role": "owner", "by": null }),
    );
    let mut body = serde_json::Map::new();
    body.insert("text".into(), json!("deploy done"));
    check(
        Event::notification(body),
        "notification",
        json!({ "text": "deploy done" }),
    );
}

#[test]
fn a_lapse_is_an_offline_marked_for_a_second_look() {
    let event = Event::lapsed(&u1(), 7_000);
    assert!(event.lapse);
    check(
        event,
        "presence",
        json!({ "user_id": "u1", "presence": "offline",
                "last_seen_at": "1970-01-01T00:00:07.000Z" }),
    );
}

#[test]
fn people_events_carry_summaries() {
    check(
        Event::profile(summary("ann", Presence::Busy)),
        "profile",
        json!({ "user_id": "id-ann", "user": summary_json("ann", "busy") }),
    );
    check(
        Event::member_joined(&c1(), &user("bob")),
        "member_joined",
        json!({ "conversation_id": "c1", "user_id": "id-bob", "user": {
            "id": "id-bob", "username": "bob", "display_name": "BOB",
            "status_message": "hi", "presence": "offline", "avatar_url": null } }),
    );
    let friend = Friend {
        user: summary("bob", Presence::Online),
        since: "2026-01-02T00:00:00.000Z".to_owned(),
    };
    check(
        Event::friend_added(friend),
        "friend_added",
        json!({ "friend": { "user": summary_json("bob", "online"),
                            "since": "2026-01-02T00:00:00.000Z" } }),
    );
}

#[test]
fn friend_requests_carry_created_at_only_while_pending() {
    let (ann, bob) = (
        summary("ann", Presence::Offline),
        summary("bob", Presence::Offline),
    );
    let request = FriendRequest {
        from: ann.clone(),
        to: bob.clone(),
        created_at: "2026-01-03T00:00:00.000Z".to_owned(),
    };
    check(
        Event::friend_request_pending(&request),
        "friend_request",
        json!({ "status": "pending", "request": {
            "from": summary_json("ann", "offline"), "to": summary_json("bob", "offline"),
            "created_at": "2026-01-03T00:00:00.000Z" } }),
    );
    check(
        Event::friend_request_closed(RequestStatus::Cancelled, &ann, &bob),
        "friend_request",
        json!({ "status": "cancelled", "request": {
            "from": summary_json("ann", "offline"), "to": summary_json("bob", "offline") } }),
    );
}

#[test]
fn conversation_added_and_updated_carry_the_room() {
    let conversation = Conversation {
        id: c1(),
        kind: ConversationKind::Room,
        name: Some("lobby".to_owned()),
        title: None,
        topic: Some("all things".to_owned()),
        member_count: 1,
        members: None,
        last_message: None,
        unread_count: 0,
        mention_count: 0,
        muted: false,
        hidden: false,
        role: Role::Owner,
        invite_code: None,
        roles: None,
        read_marks: None,
        created_at: "2026-01-01T00:00:00.000Z".to_owned(),
    };
    let mut renamed = conversation.clone();
    check(
        Event::conversation_added(conversation),
        "conversation_added",
        json!({ "conversation_id": "c1", "conversation": {
            "id": "c1", "kind": "room", "name": "lobby", "title": null,
            "topic": "all things", "member_count": 1, "last_message": null,
            "unread_count": 0, "mention_count": 0, "muted": false, "hidden": false,
            "role": "owner", "invite_code": null,
            "created_at": "2026-01-01T00:00:00.000Z" } }),
    );
    renamed.title = Some("Book club".to_owned());
    renamed.topic = None;
    check(
        Event::conversation_updated(&renamed, &user("ann")),
        "conversation_updated",
        json!({ "conversation_id": "c1", "title": "Book club", "topic": null,
                "invite_code": null, "by": { "id": "id-ann", "username": "ann", "display_name": "ANN",
                        "status_message": "hi", "presence": "offline", "avatar_url": null } }),
    );
}

#[test]
fn resync_says_why() {
    let resync = Payload::resync();
    assert_eq!(resync.kind(), "resync");
    assert!(resync.data_json().contains("no longer available"));
}
