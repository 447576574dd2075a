-- The early warning and the baseline (a red duty now, a red duty next term) scored
-- at each back-test origin term, and pooled over every origin (scope pooled, origin
-- and target empty), each row with the night's verdict on which did better.
with backtest as (
    select * from {{ ref('stg_outlook__early_warning_backtest') }}
),

verdict as (
    -- one row
    select * from {{ ref('stg_outlook__early_warning_verdict') }}
),

terms as (
    select * from {{ ref('dim_term') }}
),

judged as (
    select
        backtest.*,
        origin_terms.term_name as origin_term_name,
        target_terms.term_name as target_term_name,
        verdict.verdict,
        verdict.beats_baseline,
        -- the pooled row of each method has no origin
        case when backtest.origin_term_order is null then 'pooled' else 'origin' end as scope
    from backtest
    cross join verdict
    left join terms as origin_terms on backtest.origin_term_order = origin_terms.term_order
    left join terms as target_terms on backtest.target_term_order = target_terms.term_order
)

select
    method,
    scope,
    origin_term_order,
    origin_term_name,
    target_term_order,
    target_term_name,
    schools,
    actual_red,
    predicted_red,
    true_positives,
    precision,
    recall,
    f1,
    threshold,
    verdict,
    beats_baseline,
    run_id,
    fitted_at
from judged
