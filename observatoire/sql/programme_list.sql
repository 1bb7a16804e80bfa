-- Programmes with their source press release.
SELECT p.id, p.name, p.operator, p.start_date, p.end_date, p.description,
       p.source, s.title AS source_title, s.publisher AS source_publisher, s.date AS source_date,
       l.kind = 'reference' AS from_press_release, l.loaded_at
FROM programmes p
LEFT JOIN sources s ON s.id = p.source
JOIN loads l ON l.load_id = p.load_id
ORDER BY p.start_date NULLS LAST, p.id
