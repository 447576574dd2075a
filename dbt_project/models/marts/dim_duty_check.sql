-- The checks of duties-v1 with their paragraph, strength, how each is measured,
-- its default bands and the words its evidence is written in.
with duty_checks as (
    select * from {{ ref('stg_reference__duty_checks') }}
)

select
    check_id,
    title,
    paragraph,
    strength,
    measure,
    direction,
    amber_at,
    red_at,
    amber_high_at,
    red_high_at,
    counts_people,
    evidence_template,
    not_applicable_text
from duty_checks
