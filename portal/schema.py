"""Database schema of the portal.

Kept as a Python string rather than a .sql file so it ships without package-data setup.
"""

import sqlite3

SCHEMA = """
-- Money is integer cents; timestamps are ISO 8601 UTC text, so they sort as text.
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS devices (
    device_id TEXT PRIMARY KEY,
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS catalogue (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS accounts (
    number TEXT PRIMARY KEY,
    holder_name TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS identity_links (
    profile TEXT NOT NULL,
    id_hash TEXT NOT NULL,
    account TEXT NOT NULL REFERENCES accounts (number),
    PRIMARY KEY (profile, id_hash)
);
CREATE TABLE IF NOT EXISTS bills (
    id TEXT PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    account TEXT NOT NULL,
    kind TEXT NOT NULL,
    description_en TEXT NOT NULL,
    description_es TEXT NOT NULL,
    amount_due_cents INTEGER NOT NULL CHECK (amount_due_cents >= 0),
    currency TEXT NOT NULL,
    due_date TEXT NOT NULL,
    allows_partial INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'paid'))
);
CREATE INDEX IF NOT EXISTS bills_by_account ON bills (account);
CREATE TABLE IF NOT EXISTS payments (
    payment_id TEXT PRIMARY KEY,
    -- The first bill paid (see payment_allocations); NULL when the payment paid no bill.
    bill_id TEXT REFERENCES bills (id),
    device_id TEXT NOT NULL,
    amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
    currency TEXT NOT NULL,
    remaining_cents INTEGER NOT NULL,
    kiosk_reference TEXT NOT NULL,
    terminal TEXT,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS payments_by_bill ON payments (bill_id);
CREATE TABLE IF NOT EXISTS idempotency_records (
    device_id TEXT NOT NULL,
    key TEXT NOT NULL,
    request_sha256 TEXT NOT NULL,
    status_code INTEGER NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (device_id, key)
);
CREATE TABLE IF NOT EXISTS open311_services (
    service_code TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS service_requests (
    seq INTEGER PRIMARY KEY,
    service_request_id TEXT NOT NULL UNIQUE,
    service_code TEXT NOT NULL,
    device_id TEXT,
    status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    status_notes TEXT,
    description TEXT,
    requested_datetime TEXT NOT NULL,
    updated_datetime TEXT NOT NULL,
    expected_datetime TEXT,
    address TEXT,
    address_id TEXT,
    zipcode TEXT,
    lat REAL,
    long REAL,
    media_url TEXT,
    email TEXT,
    first_name TEXT,
    last_name TEXT,
    phone TEXT,
    account_id TEXT,
    attributes TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS requests_by_time ON service_requests (requested_datetime);
CREATE TABLE IF NOT EXISTS request_tokens (
    token TEXT PRIMARY KEY,
    service_request_id TEXT REFERENCES service_requests (service_request_id),
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS kiosk_requests (
    device_id TEXT NOT NULL,
    kiosk_request_id TEXT NOT NULL,
    response TEXT NOT NULL,
    PRIMARY KEY (device_id, kiosk_request_id)
);
-- created_at is when the kiosk queued the answers; received_at when they arrived here.
CREATE TABLE IF NOT EXISTS survey_responses (
    id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    survey_id TEXT NOT NULL,
    answers TEXT NOT NULL,
    locale TEXT,
    kiosk_reference TEXT,
    created_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    UNIQUE (device_id, idempotency_key)
);
CREATE TABLE IF NOT EXISTS receipt_deliveries (
    id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    reference TEXT NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    address TEXT NOT NULL,
    locale TEXT,
    received_at TEXT NOT NULL,
    UNIQUE (device_id, idempotency_key)
);
CREATE TABLE IF NOT EXISTS addresses (
    id TEXT PRIMARY KEY,
    address TEXT NOT NULL,
    zipcode TEXT NOT NULL,
    lat REAL NOT NULL,
    long REAL NOT NULL
);
-- One row per line a payment paid: kind 'bill' names a bill's id in target_id.
CREATE TABLE IF NOT EXISTS payment_allocations (
    payment_id TEXT NOT NULL REFERENCES payments (payment_id),
    position INTEGER NOT NULL,
    kind TEXT NOT NULL,
    target_id TEXT NOT NULL,
    amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
    remaining_cents INTEGER NOT NULL,
    PRIMARY KEY (payment_id, position)
);
CREATE INDEX IF NOT EXISTS allocations_by_target ON payment_allocations (kind, target_id);
-- Tracking (portal/status_history.py): every status a record went through, oldest
-- first; note is {"en", "es"} JSON, what the city said at that step.
CREATE TABLE IF NOT EXISTS status_changes (
    id INTEGER PRIMARY KEY,
    record_kind TEXT NOT NULL CHECK (record_kind IN ('service_request', 'payment', 'account')),
    record_id TEXT NOT NULL,
    status TEXT NOT NULL,
    note TEXT,
    changed_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS status_changes_by_record
    ON status_changes (record_kind, record_id, changed_at);
-- eCitizen accounts made at a kiosk (portal/accounts.py). The activation code the kiosk
-- printed is kept as a scrypt hash only; the card only as its salted identity hash.
CREATE TABLE IF NOT EXISTS ecitizen_accounts (
    account TEXT PRIMARY KEY REFERENCES accounts (number),
    device_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    profile TEXT NOT NULL,
    id_hash TEXT NOT NULL,
    phone TEXT,
    email TEXT,
    activation_code_hash TEXT NOT NULL,
    activation_expires_at TEXT NOT NULL,
    locale TEXT,
    status TEXT NOT NULL CHECK (status IN ('pending_activation', 'active')),
    created_at TEXT NOT NULL,
    UNIQUE (device_id, idempotency_key),
    UNIQUE (profile, id_hash)
);
-- Permits and licences (portal/permits.py): the forms a kiosk renders, the permits
-- residents hold (for renewals), and applications, numbered by the kiosk's reference.
CREATE TABLE IF NOT EXISTS permit_forms (
    form_id TEXT PRIMARY KEY,
    position INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS resident_permits (
    permit_number TEXT PRIMARY KEY,
    account TEXT NOT NULL REFERENCES accounts (number),
    form_id TEXT NOT NULL REFERENCES permit_forms (form_id),
    permit_values TEXT NOT NULL,
    issued TEXT NOT NULL,
    expires TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS permits_by_account ON resident_permits (account);
CREATE TABLE IF NOT EXISTS permit_applications (
    application_number TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    form_id TEXT NOT NULL REFERENCES permit_forms (form_id),
    form_version INTEGER NOT NULL,
    renewal_of TEXT REFERENCES resident_permits (permit_number),
    profile TEXT,
    id_hash TEXT,
    form_values TEXT NOT NULL,
    documents TEXT NOT NULL,
    fee_cents INTEGER NOT NULL CHECK (fee_cents >= 0),
    currency TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('awaiting_fee', 'submitted')),
    locale TEXT,
    received_at TEXT NOT NULL,
    UNIQUE (device_id, idempotency_key)
);
-- What the city publishes for everyone (portal/content.py): news, FAQ, glossary...
CREATE TABLE IF NOT EXISTS public_content (
    kind TEXT NOT NULL CHECK (kind IN ('news', 'faq', 'glossary')),
    id TEXT NOT NULL,
    position INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
-- ...and public records: meeting agendas and minutes, other documents.
CREATE TABLE IF NOT EXISTS public_records (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL CHECK (type IN ('agenda', 'minutes', 'document')),
    date TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS public_records_by_date ON public_records (date);
-- "Call for help" at a kiosk (portal/help_requests.py): which kiosk, when, on which
-- screen; nothing about the resident.
CREATE TABLE IF NOT EXISTS help_requests (
    id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    kiosk_id TEXT NOT NULL,
    screen TEXT NOT NULL,
    service_id TEXT,
    locale TEXT,
    requested_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    UNIQUE (device_id, idempotency_key)
);
-- The service a survey was answered after (offered on that service's confirmation).
CREATE TABLE IF NOT EXISTS survey_response_services (
    survey_response_id TEXT PRIMARY KEY REFERENCES survey_responses (id),
    service_id TEXT NOT NULL
);
-- The reference printed on a receipt, for each item a kiosk delivered (portal/sync.py),
-- so tracking finds what a kiosk queued from any phone or kiosk.
CREATE TABLE IF NOT EXISTS kiosk_references (
    reference TEXT NOT NULL,
    device_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    PRIMARY KEY (reference, device_id)
);
"""

# Columns earlier portals made that SCHEMA no longer has, as (table, column).
DROPPED_COLUMNS = (("kiosk_references", "kind"),)


def create_or_upgrade(conn: sqlite3.Connection) -> None:
    """Makes a new database, or brings one an earlier portal made up to SCHEMA."""
    conn.executescript(SCHEMA)
    for table, column in DROPPED_COLUMNS:
        if column in {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}:
            conn.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
