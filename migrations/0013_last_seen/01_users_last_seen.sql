-- When friends last saw the user online: set when their last stream lapses while they
-- are visible, or when they turn invisible (so it never tells when an invisible user
-- was about). NULL: not since this was recorded.
ALTER TABLE users ADD COLUMN last_seen_at_ms INTEGER;
