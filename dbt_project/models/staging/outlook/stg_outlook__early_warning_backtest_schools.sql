with source_early_warning_backtest_schools as (
    select * from {{ source('outlook', 'outlook_early_warning_backtest_schools') }}
)

select
    urn,
    origin_term_order,
    target_term_order,
    probability,
    model_flag,
    baseline_flag,
    actual_red,
    run_id,
    fitted_at
from source_early_warning_backtest_schools
