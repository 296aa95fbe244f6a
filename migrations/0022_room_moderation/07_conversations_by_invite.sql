CREATE UNIQUE INDEX conversations_by_invite ON conversations (invite_code);
