CREATE INDEX login_challenges_by_user ON login_challenges (user_id);
