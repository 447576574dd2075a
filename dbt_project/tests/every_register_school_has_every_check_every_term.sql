-- Every register school open at a collected term's census has every check of the
-- catalogue for that term (built here from the register and the term dates alone).
with register as (
    select * from {{ ref('stg_pipeline__register') }}
),

term_dates as (
    select * from {{ ref('stg_reference__term_dates') }}
),

duty_checks as (
    select * from {{ ref('stg_reference__duty_checks') }}
),

checks as (
    select * from {{ ref('fct_duty_checks') }}
),

expected as (
    select
        register.urn,
        term_dates.academic_year,
        term_dates.term,
        duty_checks.check_id
    from register
    cross join term_dates
    cross join duty_checks
    where
        (register.opened_on is null or register.opened_on <= term_dates.census_date)
        and (register.closed_on is null or register.closed_on >= term_dates.census_date)
)

select expected.*
from expected
left join checks
    on
        expected.urn = checks.urn
        and expected.academic_year = checks.academic_year
        and expected.term = checks.term
        and expected.check_id = checks.check_id
where checks.check_id is null
