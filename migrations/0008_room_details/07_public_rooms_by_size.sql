-- The room directory: public rooms, the biggest first, then by name.
CREATE INDEX public_rooms_by_size ON conversations (member_count DESC, name)
    WHERE name IS NOT NULL;
