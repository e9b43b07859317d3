"""A PostgreSQL trigger that keeps a paid line as it was paid (defence in depth: the services never change one).

A line once paid cannot be changed or deleted: not its amount, its period, its run, nor back to unpaid. With the
check constraint that a line is paid exactly when a run paid it (payments.models), a line is paid once.

A migration imports this module, so it reads no model at import time.
"""

PAID = "paid"  # payments.rules.LineStatus.PAID (payments/tests/test_runs.py checks they agree)
FUNCTION = "payments_paid_line_frozen"


def create_sql() -> str:
    return f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger AS $$
BEGIN
    IF OLD.status = '{PAID}' THEN
        RAISE EXCEPTION 'schedule line % was paid by payment run %: it cannot change', OLD.id, OLD.paid_in_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS payments_scheduleline_paid_frozen ON payments_scheduleline;
CREATE TRIGGER payments_scheduleline_paid_frozen
    BEFORE UPDATE OR DELETE ON payments_scheduleline
    FOR EACH ROW EXECUTE FUNCTION {FUNCTION}();
"""


def drop_sql() -> str:
    return f"""
DROP TRIGGER IF EXISTS payments_scheduleline_paid_frozen ON payments_scheduleline;
DROP FUNCTION IF EXISTS {FUNCTION}();
"""
