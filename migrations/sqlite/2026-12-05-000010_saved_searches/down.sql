DELETE FROM follows WHERE subject_kind = 'search';
DROP TABLE saved_searches;
