-- The school sheet of the return in force for each school and term, with the
-- register's phase and the term's census date and deadline.
with ranked_returns as (
    select * from {{ ref('int_returns_ranked') }}
),

school_returns as (
    select * from {{ ref('stg_pipeline__school_returns') }}
),

register as (
    select * from {{ ref('stg_pipeline__register') }}
)

select
    school_returns.submission_id,
    school_returns.urn,
    register.phase,
    school_returns.academic_year,
    school_returns.term,
    school_returns.census_date,
    school_returns.number_on_roll,
    school_returns.senco_designated,
    school_returns.senco_appointed_date,
    school_returns.senco_qualified_teacher,
    school_returns.senco_award,
    school_returns.sen_information_report_url,
    school_returns.sen_information_report_updated,
    school_returns.accessibility_plan_updated,
    school_returns.notional_sen_budget_gbp,
    school_returns.sen_spend_gbp,
    school_returns.parent_concerns_logged
from ranked_returns
inner join school_returns
    on ranked_returns.submission_id = school_returns.submission_id
inner join register
    on school_returns.urn = register.urn
where ranked_returns.recency_rank = 1
