-- Places of digital mediation (table lieux, issue #13) in the territory of the filters and in
-- the whole département, with the date of the latest update; demonstration places follow
-- $include_demo.
SELECT count(*) FILTER (
           WHERE {{territory_scope:c}}) AS places,
       count(*) AS departement,
       max(l.date_maj) FILTER (
           WHERE {{territory_scope:c}}) AS updated,
       coalesce(bool_or(l.is_demo) FILTER (
           WHERE {{territory_scope:c}}), false) AS has_demo
FROM lieux l
JOIN communes c ON c.code = l.commune_code
WHERE $include_demo OR NOT l.is_demo
