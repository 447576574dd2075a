-- One row per register school and collected term it was open for: was a valid
-- return received, by the deadline (contract section 5)?
with school_terms as (
    select * from {{ ref('int_school_terms') }}
)

select
    urn,
    academic_year,
    term,
    census_date,
    deadline,
    submission_in_force,
    first_received_at,
    return_status
from school_terms
