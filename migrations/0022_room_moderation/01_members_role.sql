-- A room member's standing: its owner (exactly one while it has members), moderators the
-- owner appointed, and everyone else. Direct conversations have only members.
ALTER TABLE members ADD COLUMN role TEXT NOT NULL DEFAULT 'member'
    CHECK (role IN ('owner', 'moderator', 'member'));
