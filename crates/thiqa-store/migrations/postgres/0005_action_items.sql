-- Plan of action and milestones: what will close the gaps, by whom, when.
CREATE TABLE action_items (
    id BIGSERIAL PRIMARY KEY,
    service_id BIGINT NOT NULL REFERENCES services(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    owner TEXT NOT NULL DEFAULT '',
    -- ISO date (YYYY-MM-DD).
    due_date TEXT NOT NULL,
    -- open | in_progress | done | cancelled
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX action_items_service ON action_items(service_id);

CREATE TABLE action_item_links (
    action_id BIGINT NOT NULL REFERENCES action_items(id) ON DELETE CASCADE,
    obligation_id TEXT NOT NULL,
    PRIMARY KEY (action_id, obligation_id)
);
