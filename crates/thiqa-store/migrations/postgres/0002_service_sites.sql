-- Where a service's data lives and is processed (référentiel 3.15.2).
CREATE TABLE service_sites (
    id BIGSERIAL PRIMARY KEY,
    service_id BIGINT NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    city TEXT NOT NULL,
    -- ISO 3166-1 alpha-2 country code.
    country TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX service_sites_service ON service_sites(service_id);
