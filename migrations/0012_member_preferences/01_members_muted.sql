-- A member who muted a conversation: its messages raise no notification (mentions still
-- do) and its unread count stays out of the page's title.
ALTER TABLE members ADD COLUMN muted INTEGER NOT NULL DEFAULT 0;
