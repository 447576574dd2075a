-- One row per register school and collected term it was open for, with its
-- return in force and whether a valid return came by the deadline (contract 5),
-- judged as at the night's as-of date.
with register as (
    select * from {{ ref('stg_pipeline__register') }}
),

terms as (
    select * from {{ ref('dim_term') }}
),

submissions as (
    select * from {{ ref('int_submissions_ranked') }}
),

school_terms as (
    select
        register.urn,
        register.phase,
        terms.academic_year,
        terms.term,
        terms.census_date,
        terms.deadline
    from register
    cross join terms
    where
        (register.opened_on is null or register.opened_on <= terms.census_date)
        and (register.closed_on is null or register.closed_on >= terms.census_date)
),

returns_in_force as (
    select distinct
        urn,
        academic_year,
        term,
        submission_id,
        first_received_at,
        cast(timezone('Europe/London', first_received_at) as date) as first_received_on
    from submissions
    where recency_rank = 1
)

select
    school_terms.urn,
    school_terms.phase,
    school_terms.academic_year,
    school_terms.term,
    school_terms.census_date,
    school_terms.deadline,
    returns_in_force.submission_id as submission_in_force,
    returns_in_force.first_received_at,
    case
        when returns_in_force.submission_id is null and school_terms.deadline >= {{ as_of_date() }}
            then 'not_yet_due'
        when returns_in_force.submission_id is null then 'missing'
        when returns_in_force.first_received_on > school_terms.deadline then 'late'
        else 'on_time'
    end as return_status
from school_terms
left join returns_in_force
    on
        school_terms.urn = returns_in_force.urn
        and school_terms.academic_year = returns_in_force.academic_year
        and school_terms.term = returns_in_force.term
