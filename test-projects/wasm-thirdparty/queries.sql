CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER, price_cents INTEGER)
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) INSERT INTO item(name, qty, price_cents) SELECT 'item' || i, i % 7, (i * 37) % 1000 FROM n
SELECT count(*), sum(qty), sum(price_cents), min(price_cents), max(price_cents), total_changes() FROM item
SELECT qty, count(*), sum(price_cents), group_concat(id) FILTER (WHERE id < 30) FROM item GROUP BY qty ORDER BY qty DESC
CREATE INDEX item_price ON item(price_cents)
SELECT name, price_cents FROM item WHERE price_cents BETWEEN 100 AND 104 ORDER BY price_cents, id
UPDATE item SET qty = qty + 10 WHERE id % 250 = 0 RETURNING id, qty
DELETE FROM item WHERE qty = 0
SELECT count(*), changes() FROM item
BEGIN
DELETE FROM item
ROLLBACK
SELECT count(*) FROM item
WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) SELECT count(*), max(i) FROM n WHERE NOT EXISTS (SELECT 1 FROM n AS d WHERE d.i * d.i <= n.i AND n.i % d.i = 0)
SELECT id, sum(qty) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW), rank() OVER (ORDER BY price_cents DESC) FROM item WHERE id <= 6 ORDER BY id
SELECT upper('sqlite'), length('h' || char(233) || 'llo'), substr('abcdef', 2, 3), replace('a-b-c', '-', '+'), printf('%05d/%x/%.3f', 42, 255, 2.0 / 3), hex('WASM'), instr('buildbudget', 'bud'), trim('  x  ')
SELECT json_extract('{"a": [1, 2, {"b": "c"}]}', '$.a[2].b'), json_array_length('[1, 2, 3, 4]'), json_object('k', 1, 'v', json_array(2, 3))
SELECT date('2024-02-28', '+1 day'), strftime('%j', '2023-12-31'), date('2000-01-31', '+1 month'), time('12:34:56', '+1 hour')
SELECT abs(-7), 17 / 5, 17 % 5, -17 / 5, 1 << 40, coalesce(NULL, NULL, 'third'), nullif(3, 3), typeof(1.5), typeof(x'00'), CAST('12abc' AS INTEGER)
SELECT name FROM item WHERE name LIKE 'item19_' AND name GLOB '*[02468]' ORDER BY name
CREATE TABLE kv(k TEXT PRIMARY KEY, v INTEGER) WITHOUT ROWID
INSERT INTO kv VALUES ('a', 1), ('b', 2) ON CONFLICT(k) DO UPDATE SET v = v + 100
INSERT INTO kv VALUES ('a', 5), ('c', 3) ON CONFLICT(k) DO UPDATE SET v = v + excluded.v
SELECT group_concat(k || '=' || v, ',') FROM (SELECT * FROM kv ORDER BY k)
