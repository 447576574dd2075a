with source_early_warning_verdict as (
    select * from {{ source('outlook', 'outlook_early_warning_verdict') }}
)

select
    verdict,
    beats_baseline,
    threshold,
    run_id,
    fitted_at
from source_early_warning_verdict
