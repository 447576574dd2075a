with source_early_warning as (
    select * from {{ source('outlook', 'outlook_early_warning') }}
)

select
    urn,
    from_term_order,
    probability,
    flagged,
    reasons,
    red_now,
    threshold,
    run_id,
    fitted_at
from source_early_warning
