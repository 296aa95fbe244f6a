CREATE INDEX friendships_by_b ON friendships (user_b);
