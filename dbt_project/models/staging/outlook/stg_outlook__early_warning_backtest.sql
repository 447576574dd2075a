with source_early_warning_backtest as (
    select * from {{ source('outlook', 'outlook_early_warning_backtest') }}
)

select
    method,
    origin_term_order,
    target_term_order,
    schools,
    actual_red,
    predicted_red,
    true_positives,
    precision,
    recall,
    f1,
    threshold,
    run_id,
    fitted_at
from source_early_warning_backtest
