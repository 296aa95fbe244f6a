INSERT INTO rounds_turn (id, next_at_ms) VALUES (1, 0);
