-- Which commanditaire uses which service, since when and at which level
-- (référentiel 3.15.1 service agreement, 3.15.2 data location).
CREATE TABLE contracts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    provider_id BIGINT NOT NULL REFERENCES providers(id),
    organisation_id BIGINT NOT NULL REFERENCES organisations(id),
    service_id BIGINT NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    -- The provider's own reference of the signed agreement.
    reference TEXT NOT NULL,
    -- The qualification level the customer's data needs (1 or 2).
    level BIGINT NOT NULL,
    -- ISO dates (YYYY-MM-DD); no end for an open-ended agreement.
    starts_on TEXT NOT NULL,
    ends_on TEXT,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (provider_id, reference)
);
CREATE INDEX contracts_organisation ON contracts(organisation_id);
CREATE INDEX contracts_service ON contracts(service_id);

-- The service's sites where this customer's data lives (3.15.2).
CREATE TABLE contract_sites (
    contract_id BIGINT NOT NULL REFERENCES contracts(id) ON DELETE CASCADE,
    site_id BIGINT NOT NULL REFERENCES service_sites(id) ON DELETE CASCADE,
    PRIMARY KEY (contract_id, site_id)
);

-- The customer's contacts: security, technical, billing.
CREATE TABLE contract_contacts (
    contract_id BIGINT NOT NULL REFERENCES contracts(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    PRIMARY KEY (contract_id, role)
);

-- The convention checklist (3.15.1): for each clause the text requires,
-- whether the signed agreement has it, where, and the signed document.
CREATE TABLE contract_clauses (
    contract_id BIGINT NOT NULL REFERENCES contracts(id) ON DELETE CASCADE,
    -- An obligation or item id of article 3.15.1 (e.g. 3.15.1.c.3).
    clause_id TEXT NOT NULL,
    present BIGINT NOT NULL,
    -- Where in the agreement (article, page).
    reference TEXT NOT NULL DEFAULT '',
    evidence_id BIGINT REFERENCES evidence(id) ON DELETE SET NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (contract_id, clause_id)
);
