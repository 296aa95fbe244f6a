INSERT INTO message_delivery_mark (id, last_message_id)
VALUES (1, coalesce((SELECT max(id) FROM messages), ''));
