-- A send writes only its message; the batches index it (search.rs, `index_new_messages`).
DROP TRIGGER messages_search_on_send;
