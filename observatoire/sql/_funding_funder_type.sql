-- The kind of funder of a funding row aliased ALIAS: as the file said (funder_type), else
-- read from its name: État, Département, CAF, EPT, Commune, or Partenaire privé
-- (foundations, companies, associations).
-- Expanded by {{funding_funder_type:alias}}.
coalesce(ALIAS.funder_type, CASE
    WHEN ALIAS.funder IN ('État', 'Etat') OR ALIAS.funder ILIKE 'Préfecture%' THEN 'État'
    WHEN ALIAS.funder ILIKE 'Département%' OR ALIAS.funder ILIKE 'Conseil départemental%'
        THEN 'Département'
    WHEN ALIAS.funder ILIKE 'CAF%' OR ALIAS.funder ILIKE 'Caisse d''allocations%' THEN 'CAF'
    WHEN ALIAS.funder ILIKE 'EPT %' OR ALIAS.funder = 'EPT' THEN 'EPT'
    WHEN ALIAS.funder ILIKE 'Commune%' OR ALIAS.funder ILIKE 'Ville %' THEN 'Commune'
    ELSE 'Partenaire privé'
END)
