-- The source addresses a sending domain's mail may leave from (its SPF names
-- them); empty: any of the node's addresses.
ALTER TABLE sending_domains ADD COLUMN source_ips INET[] NOT NULL DEFAULT '{}';
