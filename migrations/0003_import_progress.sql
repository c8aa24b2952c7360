-- When an import last wrote a batch: an import that has been "running"
-- without progress for minutes lost its process (restart, crash) and is
-- marked failed by housekeeping on any node.
ALTER TABLE imports ADD COLUMN progress_at TIMESTAMPTZ NOT NULL DEFAULT now();
