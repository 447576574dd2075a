-- The statuses a check can have, each defined once: its severity (what ranks a
-- school and decides its overall status), symbol, words and chart style.
with statuses as (
    select * from {{ ref('stg_reference__statuses') }}
)

select
    status,
    severity,
    symbol,
    status_label,
    colour,
    fill_pattern,
    meaning
from statuses
