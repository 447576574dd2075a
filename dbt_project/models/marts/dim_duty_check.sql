-- The checks of duties-v1 with their paragraph, strength and default bands.
with duty_checks as (
    select * from {{ ref('stg_reference__duty_checks') }}
)

select
    check_id,
    title,
    paragraph,
    strength,
    direction,
    amber_at,
    red_at,
    amber_high_at,
    red_high_at
from duty_checks
