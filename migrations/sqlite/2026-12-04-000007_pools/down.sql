DROP TABLE adoptions;
DROP TABLE attachments;
DROP TABLE toolkit_projects;
DROP TABLE toolkits;
DROP TABLE pool_members;
DROP TABLE pools;
