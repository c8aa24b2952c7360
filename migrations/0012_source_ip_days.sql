-- Messages sent from each source address per UTC day: the warm-up ramp of a
-- new address counts from its first day here, and survives restarts.
CREATE TABLE source_ip_days (
    ip   INET NOT NULL,
    day  DATE NOT NULL,
    sent INT NOT NULL DEFAULT 0,
    PRIMARY KEY (ip, day)
);
