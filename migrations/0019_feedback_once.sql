-- The same bounce or complaint received twice (a sender retrying after a
-- 451, an ISP resending a report) counts once: one bounce per delivery and
-- effect, one complaint per delivery.
DELETE FROM bounces a USING bounces b
    WHERE a.delivery_id = b.delivery_id AND a.effect = b.effect AND a.id > b.id;
CREATE UNIQUE INDEX bounces_once ON bounces (delivery_id, effect) WHERE delivery_id IS NOT NULL;
DELETE FROM complaints a USING complaints b
    WHERE a.delivery_id = b.delivery_id AND a.id > b.id;
CREATE UNIQUE INDEX complaints_once ON complaints (delivery_id) WHERE delivery_id IS NOT NULL;
