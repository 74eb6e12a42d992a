-- Status queries look people up by identity number across cases; the primary key starts with case_id.
CREATE INDEX case_people_id_number ON case_people(id_number);
