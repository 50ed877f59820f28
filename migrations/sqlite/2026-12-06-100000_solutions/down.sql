DROP TABLE project_solution_events;
DROP TABLE project_solutions;
DROP TABLE solutions;
