-- One row per school the early warning judged, flagged or not: its chance of a red
-- must or should duty next term, predicted from its latest term, beside the
-- baseline's flag (a red duty now). rank_in_la orders the LA's schools by that
-- chance, highest first.
with early_warning as (
    select * from {{ ref('stg_outlook__early_warning') }}
),

schools as (
    select * from {{ ref('dim_school') }}
),

terms as (
    select * from {{ ref('dim_term') }}
),

predictions as (
    select
        early_warning.*,
        early_warning.from_term_order + 1 as term_order
    from early_warning
),

ranked as (
    select
        predictions.*,
        schools.school_name,
        schools.phase,
        schools.locality,
        from_terms.academic_year as from_academic_year,
        from_terms.term as from_term,
        from_terms.term_name as from_term_name,
        -- empty when dim_term does not have the next term yet
        next_terms.academic_year,
        next_terms.term,
        next_terms.term_name,
        row_number() over (
            order by
                predictions.probability desc,
                schools.school_name asc nulls last,
                predictions.urn asc
        ) as rank_in_la
    from predictions
    left join schools on predictions.urn = schools.urn
    left join terms as from_terms on predictions.from_term_order = from_terms.term_order
    left join terms as next_terms on predictions.term_order = next_terms.term_order
)

select
    urn,
    school_name,
    phase,
    locality,
    from_term_order,
    from_academic_year,
    from_term,
    from_term_name,
    term_order,
    academic_year,
    term,
    term_name,
    probability,
    flagged,
    reasons,
    red_now,
    threshold,
    rank_in_la,
    run_id,
    fitted_at
from ranked
