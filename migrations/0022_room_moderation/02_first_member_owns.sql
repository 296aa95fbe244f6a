-- Rooms made before they had owners: the longest-standing member owns each.
UPDATE members SET role = 'owner'
 WHERE (conversation_id, user_id) IN (
       SELECT conversation_id, user_id FROM (
              SELECT m.conversation_id, m.user_id,
                     row_number() OVER (PARTITION BY m.conversation_id
                                        ORDER BY m.joined_at_ms, m.user_id) AS k
                FROM members m JOIN conversations c ON c.id = m.conversation_id
               WHERE c.kind = 'room')
        WHERE k = 1);
