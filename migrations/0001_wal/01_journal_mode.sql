-- chat:no-transaction
-- chat:best-effort
-- Write-ahead logging lets readers and one writer work at once; without it concurrent
-- writers see "database is locked". The mode is stored in the file, so this runs once.
-- Hosted libSQL manages its own journal and may refuse the pragma: that is fine.
PRAGMA journal_mode = WAL;
