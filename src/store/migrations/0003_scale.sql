-- Lists at scale (issue 8): keyset pages in submission order for every filter, and job counts
-- by status kept by triggers so a list's total does not scan the table.
CREATE INDEX jobs_status_submitted ON jobs(status, submitted_at, job_id);
CREATE INDEX jobs_host_submitted ON jobs(host_id, submitted_at, job_id);
CREATE INDEX jobs_owner_submitted ON jobs(owner, submitted_at, job_id);

CREATE TABLE job_status_counts(status TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO job_status_counts(status, n)
  SELECT s.status, (SELECT count(*) FROM jobs WHERE jobs.status = s.status)
  FROM (SELECT 'queued' AS status UNION ALL SELECT 'assigned' UNION ALL SELECT 'leased' UNION ALL
        SELECT 'running' UNION ALL SELECT 'completed' UNION ALL SELECT 'failed' UNION ALL
        SELECT 'preempted' UNION ALL SELECT 'cancelled') AS s;
CREATE TRIGGER jobs_count_insert AFTER INSERT ON jobs BEGIN
  UPDATE job_status_counts SET n = n + 1 WHERE status = NEW.status;
END;
CREATE TRIGGER jobs_count_delete AFTER DELETE ON jobs BEGIN
  UPDATE job_status_counts SET n = n - 1 WHERE status = OLD.status;
END;
CREATE TRIGGER jobs_count_update AFTER UPDATE OF status ON jobs WHEN OLD.status IS NOT NEW.status BEGIN
  UPDATE job_status_counts SET n = n - 1 WHERE status = OLD.status;
  UPDATE job_status_counts SET n = n + 1 WHERE status = NEW.status;
END;

CREATE INDEX hosts_by_status_registered ON hosts(status, registered_at, host_id);
