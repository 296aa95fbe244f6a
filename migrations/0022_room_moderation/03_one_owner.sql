-- One owner per room, whatever races: a transfer demotes before it promotes.
CREATE UNIQUE INDEX members_one_owner ON members (conversation_id) WHERE role = 'owner';
