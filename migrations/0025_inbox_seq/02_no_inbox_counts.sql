-- The counts table of migration 0023 cost a second write statement per append; the
-- numbering above replaces it.
DROP TABLE inbox_counts;
