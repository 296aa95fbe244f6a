-- Each embedded inbox event's number within its inbox, given by the append (the inbox's
-- newest event's number plus one): trimming goes by each inbox's own count without a
-- second write per append. Older rows have none; an inbox's numbering then starts at 1.
ALTER TABLE inbox_events ADD COLUMN seq INTEGER;
