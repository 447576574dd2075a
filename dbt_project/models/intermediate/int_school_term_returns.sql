-- Every register school and term, with the school sheet of its return in force
-- (empty where none came) and the national SEN support rate for its phase.
with school_terms as (
    select * from {{ ref('int_school_terms') }}
),

school_returns as (
    select * from {{ ref('stg_pipeline__school_returns') }}
),

national_rates as (
    select * from {{ ref('stg_reference__national_sen_support_rates') }}
)

select
    school_terms.urn,
    school_terms.phase,
    school_terms.academic_year,
    school_terms.term,
    school_terms.census_date,
    school_terms.deadline,
    school_terms.return_status,
    school_terms.submission_in_force,
    school_terms.first_received_at,
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
    school_returns.parent_concerns_logged,
    national_rates.sen_support_rate as national_rate
from school_terms
left join school_returns
    on school_terms.submission_in_force = school_returns.submission_id
left join national_rates
    on school_terms.phase = national_rates.phase
