-- How clients reach the studio: shown on the pages handed to them.
ALTER TABLE studios ADD COLUMN phone TEXT;
ALTER TABLE studios ADD COLUMN email TEXT;
ALTER TABLE studios ADD COLUMN address TEXT;
