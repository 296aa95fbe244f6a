-- Uploads cut off before they completed, oldest first, for the sweep.
CREATE INDEX blobs_uncommitted ON blobs (created_at_ms) WHERE size IS NULL;
