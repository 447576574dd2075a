-- Each school at each back-test origin term: the model's chance and flag, the
-- baseline's flag (a red duty at the origin), and whether it went red next term.
with backtest_schools as (
    select * from {{ ref('stg_outlook__early_warning_backtest_schools') }}
),

schools as (
    select * from {{ ref('dim_school') }}
),

terms as (
    select * from {{ ref('dim_term') }}
),

named as (
    select
        backtest_schools.*,
        schools.school_name,
        origin_terms.term_name as origin_term_name,
        target_terms.term_name as target_term_name
    from backtest_schools
    left join schools on backtest_schools.urn = schools.urn
    left join terms as origin_terms
        on backtest_schools.origin_term_order = origin_terms.term_order
    left join terms as target_terms
        on backtest_schools.target_term_order = target_terms.term_order
)

select
    urn,
    school_name,
    origin_term_order,
    origin_term_name,
    target_term_order,
    target_term_name,
    probability,
    model_flag,
    baseline_flag,
    actual_red,
    run_id,
    fitted_at
from named
