CREATE INDEX members_by_user ON members (user_id);
