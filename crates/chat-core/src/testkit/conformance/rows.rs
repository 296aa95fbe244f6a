//! Round trips of the row readers through a real database: what the services stored reads
//! back through each model's select list and reader, every column of the list read and
//! none past it (a column added to one and not the other fails here).

use crate::{
    Ports,
    accounts::{Accounts, NewAccount},
    conversations::{Conversations, NewMessage, NewRoom},
    ids::ConversationId,
    model::{Conversation, Message, Presence, User, UserSummary, user_summary},
    ports::{Row, Value},
};

async fn signup(ports: &Ports, name: &str) -> User {
    Accounts::new(ports)
        .signup(NewAccount {
            username: name,
            password: "correct horse battery",
            display_name: Some(&format!("{name} the tester")),
            client: "127.0.0.1",
            user_agent: "rows",
        })
        .await
        .unwrap()
        .user
}

async fn one_row(ports: &Ports, sql: &str, params: &[Value]) -> Row {
    let mut rows = ports.sql.query(sql, params).await.unwrap();
    assert_eq!(rows.len(), 1, "{sql}");
    rows.remove(0)
}

fn now(ports: &Ports) -> Value {
    Value::Integer(ports.clock.now_ms())
}

/// A user with a status and a picture reads back as signup and the updates left it.
pub async fn a_user_reads_back_as_stored(ports: &Ports) {
    let ann = signup(ports, "rowann").await;
    ports
        .sql
        .execute(
            "UPDATE users SET status_message = 'out to lunch', presence = 'busy',
                              avatar_id = 'pic1' WHERE id = ?1",
            &[Value::from(&ann.id)],
        )
        .await
        .unwrap();
    let row = one_row(
        ports,
        &format!(
            "SELECT {} FROM users u WHERE u.id = ?1",
            User::columns("u.")
        ),
        &[Value::from(&ann.id)],
    )
    .await;
    let mut columns = row.columns();
    let read = User::read(&mut columns).unwrap();
    columns.end().unwrap();
    assert_eq!(
        read,
        User {
            status_message: "out to lunch".into(),
            presence: Presence::Busy,
            avatar_url: Some(crate::attachments::avatar_url(&ann.id, "pic1")),
            ..ann
        }
    );
}

/// A friend's summary, last seen while offline, reads back with every field.
pub async fn a_summary_reads_back_as_a_friend_sees_it(ports: &Ports) {
    let (ann, bob) = (
        signup(ports, "rowsumann").await,
        signup(ports, "rowsumbob").await,
    );
    let (a, b) = if ann.id < bob.id {
        (&ann, &bob)
    } else {
        (&bob, &ann)
    };
    ports
        .sql
        .execute(
            "INSERT INTO friendships (user_a, user_b, since_ms) VALUES (?1, ?2, 0)",
            &[Value::from(&a.id), Value::from(&b.id)],
        )
        .await
        .unwrap();
    ports
        .sql
        .execute(
            "UPDATE users SET last_seen_at_ms = 1000, status_message = 'hi' WHERE id = ?1",
            &[Value::from(&bob.id)],
        )
        .await
        .unwrap();
    let row = one_row(
        ports,
        &format!(
            "SELECT {} FROM users u WHERE u.id = ?3",
            user_summary::columns("u")
        ),
        &[Value::from(&ann.id), now(ports), Value::from(&bob.id)],
    )
    .await;
    let mut columns = row.columns();
    let read = UserSummary::read(&mut columns).unwrap();
    columns.end().unwrap();
    assert_eq!(
        read,
        UserSummary {
            status_message: "hi".into(),
            presence: Presence::Offline,
            last_seen_at: Some(crate::time::rfc3339_ms(1000)),
            ..UserSummary::of_self(&bob)
        }
    );
}

/// `conversation_id` read through [`Conversation::columns`] as `viewer` lists it.
async fn conversation_as_listed(
    ports: &Ports,
    viewer: &User,
    conversation_id: &ConversationId,
) -> Conversation {
    let row = one_row(
        ports,
        &format!(
            "SELECT {} FROM members me
               JOIN conversations c ON c.id = me.conversation_id
               LEFT JOIN messages m ON m.conversation_id = c.id AND m.seq = c.last_seq
               LEFT JOIN users u ON u.id = m.sender_id
              WHERE me.user_id = ?1 AND c.id = ?3",
            Conversation::columns()
        ),
        &[
            Value::from(&viewer.id),
            now(ports),
            Value::from(conversation_id),
        ],
    )
    .await;
    let mut columns = row.columns();
    let read = Conversation::read(&mut columns).unwrap();
    columns.end().unwrap();
    read
}

/// A reply with a mention reads back as the send returned it, and its conversation (with
/// it as the last message, and without any) as the list shows it.
pub async fn a_message_and_its_conversation_read_back_as_sent(ports: &Ports) {
    let ann = signup(ports, "rowmsgann").await;
    let as_ann = Conversations::new(ports, &ann);
    let room = as_ann
        .create_room(&NewRoom {
            name: Some("rowroom"),
            ..NewRoom::default()
        })
        .await
        .unwrap();
    let empty = conversation_as_listed(ports, &ann, &room.id).await;
    assert_eq!(empty.last_message, None);
    assert_eq!(
        empty,
        Conversation {
            members: None,
            roles: None,
            read_marks: None,
            ..room.clone()
        }
    );

    let (first, _) = as_ann
        .send(&room.id, &NewMessage::text("first", "c1"))
        .await
        .unwrap();
    let (reply, _) = as_ann
        .send(
            &room.id,
            &NewMessage {
                reply_to: Some(&first.id),
                ..NewMessage::text("hello @rowmsgann", "c2")
            },
        )
        .await
        .unwrap();
    assert!(
        reply.reply_to.is_some(),
        "the reply quotes the first message"
    );
    let row = one_row(
        ports,
        &format!(
            "SELECT {} FROM messages m JOIN users u ON u.id = m.sender_id WHERE m.id = ?3",
            Message::columns()
        ),
        &[Value::from(&ann.id), now(ports), Value::from(&reply.id)],
    )
    .await;
    let mut columns = row.columns();
    let read = Message::read(&mut columns).unwrap();
    columns.end().unwrap();
    assert_eq!(read, reply);

    let listed = conversation_as_listed(ports, &ann, &room.id).await;
    assert_eq!(listed.last_message, Some(reply));
}
