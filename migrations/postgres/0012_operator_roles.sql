-- Operator roles granted to users (the roles themselves are content:
-- roles.toml). One row per user and role; granting again replaces the
-- expiry; revoking deletes the row. A role with an expiry stops counting
-- when the game clock reaches `expires_at`; the row stays until revoked.
CREATE TABLE operator_roles (
    user_id    BIGINT NOT NULL,
    role_id    TEXT   NOT NULL,
    granted_by BIGINT NOT NULL,
    granted_at BIGINT NOT NULL,
    expires_at BIGINT,
    PRIMARY KEY (user_id, role_id)
);

-- Every operator command: who, what, on whom, with which arguments, how it
-- ended (done / refused / failed) and when. Written before the operator
-- is answered; never updated or deleted by the server.
CREATE TABLE operator_audit (
    audit_id    BIGSERIAL PRIMARY KEY,
    at          BIGINT NOT NULL,
    operator_id BIGINT NOT NULL,
    action      TEXT   NOT NULL,
    target      TEXT,
    args        TEXT   NOT NULL,
    outcome     TEXT   NOT NULL,
    detail      TEXT
);
CREATE INDEX operator_audit_by_operator ON operator_audit (operator_id, audit_id);
