DROP TABLE inventory_imports;
DROP TABLE projects;
DROP TABLE city_programmes;
DROP TABLE programmes;
DROP TABLE city_contacts;
DROP TABLE cities;
DROP TABLE bottleneck_categories;
DROP TABLE themes;
