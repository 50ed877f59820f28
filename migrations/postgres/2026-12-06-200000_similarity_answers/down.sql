DROP TABLE similarity_answers;
