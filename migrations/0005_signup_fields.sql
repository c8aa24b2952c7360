-- Extra fields of a list's signup form, each stored as a subscriber
-- attribute: [{"key": "company", "label": "Company", "required": false}].
ALTER TABLE lists ADD COLUMN signup_fields JSONB NOT NULL DEFAULT '[]'
    CHECK (jsonb_typeof(signup_fields) = 'array');
